// The JSON requests the pages' bundles make to their own server (session cookie; no other origin under the CSP).

// GET a JSON document; a refusal throws an Error carrying the server's Vietnamese message.
export async function getJson(url) {
  const response = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  const doc = await response.json();
  if (!response.ok) throw new Error(doc.message || response.statusText);
  return doc;
}

// A request whose answer the caller inspects (status and document), refusals included; an answer that is not JSON
// reads as its status text.
export async function requestJson(method, url, { body, headers = {}, keepalive = false } = {}) {
  const response = await fetch(url, {
    method, credentials: 'same-origin', body, keepalive, headers: { Accept: 'application/json', ...headers },
  });
  let doc = {};
  try { doc = await response.json(); } catch (e) { doc = { message: response.statusText }; }
  return { status: response.status, ok: response.ok, doc };
}
