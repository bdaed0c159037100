/** Every channel Pintu runs. Adding a channel = adding its folder and one line here. */
import type { ChannelAdapter } from '../src/channel.js';
import { twitterChannel } from './twitter/index.js';
import { webChannel } from './web/index.js';
import { smsChannel } from './sms/index.js';
import { open311Channel } from './open311/index.js';
import { whatsAppChannel } from './whatsapp/index.js';

export const channels: ChannelAdapter[] = [webChannel, smsChannel(), twitterChannel, whatsAppChannel, open311Channel];
