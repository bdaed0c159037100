/** The JSON body of a response, untyped: tests assert its shape. */
export async function json(res: Response | Promise<Response>): Promise<any> {
  return (await res).json();
}
