// The complaint lookup (#aduan): where a complaint is, its whole timeline, the agency's ticket number, and the
// reporter's identity when the API gives it (admins; each view is audited by the API).
import { $, api, agency, channelName, dateTime, el, fields, none, status, t } from './common.js';

const IDENTITY_FIELDS = ['name', 'phone', 'email', 'twitterHandle'];

function identity(complaint, shown) {
  const { reporter } = complaint;
  const flags = [reporter.anonymous && t('complaint.anonymous'), reporter.confidential && t('complaint.confidential')].filter(Boolean).map((flag) => el('p', flag, { class: 'flag' }));
  if (!shown) return [...flags, el('p', t('complaint.identityHidden'), { id: 'complaint-identity-hidden', class: 'hint' })];
  const given = IDENTITY_FIELDS.filter((field) => reporter[field]);
  return [
    given.length ? el('dl', null, { id: 'complaint-reporter' }, fields(given.map((field) => [field, t(`complaint.${field}`), reporter[field]]))) : el('p', t('complaint.noIdentity')),
    ...flags,
    el('p', t('complaint.identityAudited'), { id: 'complaint-identity-audited', class: 'notice' }),
  ];
}

const timelineRow = (entry) => el('tr', null, { 'data-status': entry.status }, [
  el('td', dateTime(entry.at)), el('td', t(`status.${entry.status}`)), el('td', agency(entry.agency)),
  el('td', none(entry.note ?? entry.reason)), el('td', entry.to ? agency(entry.to) : t('common.none')),
]);

/** The clock running at the agency that has it: which stage, until when, and whether it is past. */
function deadline(clock) {
  if (!clock) return t('common.none');
  const stage = t(`stage.${clock.stage}`);
  if (clock.paused) return t('complaint.deadlinePaused', { stage });
  return t(clock.overdue ? 'complaint.deadlineOverdue' : 'complaint.deadlineDue', { stage, due: dateTime(clock.due) });
}

const escalations = (list) => (list.length ? list.map((e) => t('complaint.escalation', { stage: t(`stage.${e.stage}`), agency: agency(e.to), at: dateTime(e.at) })).join('; ') : t('common.none'));

/** Looks a complaint up and shows it; returns it (null when there is none or the lookup failed). */
export async function showComplaint(trackingId) {
  $('complaint-search-text').value = trackingId;
  const result = $('complaint-result');
  const message = $('complaint-status');
  status(message, t('common.loading'), true);
  let c;
  try {
    c = await api('GET', `/complaints/${encodeURIComponent(trackingId)}`);
  } catch (err) {
    result.hidden = true;
    status(message, err.status === 404 ? t('complaint.notFound', { trackingId }) : err.message, false);
    return null;
  }
  message.textContent = '';
  const failed = c.failedAt ? `${dateTime(c.failedAt)}: ${none(c.failReason)}` : null;
  const notifies = c.notifies && (c.notifies.public ? t('complaint.notifiesPublic', { channel: channelName(c.notifies.channel) }) : channelName(c.notifies.channel));
  $('complaint-summary').replaceChildren(...fields([
    ['trackingId', t('complaint.trackingId'), c.trackingId],
    ['status', t('complaint.status'), `${t(`status.${c.status}`)}${c.statusAt ? ` (${dateTime(c.statusAt)})` : ''}`],
    ['route', t('complaint.route'), agency(c.route)],
    ['reference', t('complaint.reference'), none(c.reference)],
    ['hop', t('complaint.hop'), t('complaint.hopValue', { number: c.hop + 1, rerouted: c.hop })],
    ['channel', t('complaint.channel'), channelName(c.complaint.channel)],
    ['receivedAt', t('complaint.receivedAt'), dateTime(c.receivedAt)],
    ['deliveredAt', t('complaint.deliveredAt'), dateTime(c.deliveredAt)],
    ...(failed ? [['failed', t('complaint.failed'), failed]] : []),
    ['notifies', t('complaint.notifies'), none(notifies)],
    ['deadline', t('complaint.deadline'), deadline(c.deadline)],
    ['escalations', t('complaint.escalations'), escalations(c.escalations)],
  ]));
  $('complaint-text').textContent = c.complaint.text;
  $('complaint-identity').replaceChildren(...identity(c.complaint, c.identityShown));
  $('complaint-timeline').tBodies[0].replaceChildren(...c.timeline.map(timelineRow));
  result.hidden = false;
  return c;
}
