import { useState } from "preact/hooks";
import { token } from "./api.js";

// Shown when the server answers unauthenticated: the API token is asked
// for, kept in this browser, and sent from then on.
export function TokenPrompt(props: { onSaved(): void }) {
  const [value, setValue] = useState("");
  const save = (e: Event) => {
    e.preventDefault();
    token.set(value.trim());
    props.onSaved();
  };
  return (
    <div class="overlay">
      <div role="dialog" aria-modal="true" aria-labelledby="token-title">
      <form class="token-prompt" onSubmit={save}>
        <h2 id="token-title">API token needed</h2>
        <p>{token.get() ? "The server refused the saved token." : "This server asks for an API token."} It is kept in this browser and sent with every request.</p>
        <div class="field">
          <label for="api-token">API token</label>
          <input id="api-token" type="password" autoComplete="off" autoFocus value={value} onInput={(e) => setValue(e.currentTarget.value)} />
        </div>
        <button type="submit" class="primary" disabled={!value.trim()}>
          Save token
        </button>
      </form>
      </div>
    </div>
  );
}
