import { useEffect, useRef, useState } from "preact/hooks";
import { token } from "./api.js";

// Shown when the server answers unauthenticated: the API token is asked
// for, kept in this browser, and sent from then on. A modal dialog: the
// page behind is inert and Tab stays inside until a token is saved.
export function TokenPrompt(props: { refused: boolean; onSaved(): void }) {
  const [value, setValue] = useState("");
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    if (!dialog.current?.open) dialog.current?.showModal();
  }, []);
  const save = (e: Event) => {
    e.preventDefault();
    token.set(value.trim());
    props.onSaved();
  };
  // Tab from the last control goes to the first, Shift+Tab from the first
  // to the last, rather than out to the browser.
  const keepFocus = (e: KeyboardEvent) => {
    if (e.key !== "Tab" || !dialog.current) return;
    const controls = [...dialog.current.querySelectorAll<HTMLElement>("input, button:not(:disabled)")];
    const [first, last] = [controls[0], controls.at(-1)];
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last?.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first?.focus();
    }
  };
  return (
    <dialog ref={dialog} class="token-prompt" aria-labelledby="token-title" onCancel={(e) => e.preventDefault()} onKeyDown={keepFocus}>
      <form onSubmit={save}>
        <h2 id="token-title">API token needed</h2>
        <p>
          {props.refused ? "The server refused that token, so it was not kept. Enter another one." : "This server asks for an API token."} It is kept in this browser
          and sent with every request.
        </p>
        <div class="field">
          <label for="api-token">API token</label>
          <input id="api-token" type="password" autoComplete="off" autoFocus value={value} onInput={(e) => setValue(e.currentTarget.value)} />
        </div>
        <button type="submit" class="primary" disabled={!value.trim()}>
          Save token
        </button>
      </form>
    </dialog>
  );
}
