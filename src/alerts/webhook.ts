// Posts an alert to the configured webhook as JSON. The body's `text` is
// what Slack's and Microsoft Teams' incoming webhooks show; the rest is for
// receivers that read the details. Throws when the webhook does not answer
// 2xx before `signal` (its timeout) aborts. Messages never carry the URL:
// it is a secret.
export async function postAlert(url: string, body: { text: string; alert: Record<string, unknown> }, signal: AbortSignal): Promise<void> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal,
    redirect: "error",
  });
  // The answer's body is not needed; do not wait for a large one.
  await res.body?.cancel();
  if (!res.ok) throw new Error(`the webhook answered HTTP ${res.status}`);
}
