import type { ComponentChildren, JSX } from "preact";
import type { Problem } from "./api.js";
import { inPlainWords } from "./words.js";

export function Badge(props: { tone: string; children: ComponentChildren }) {
  return <span class={`badge ${props.tone}`}>{props.children}</span>;
}

// A labelled form field; the server's complaint about it (by field name) is
// shown under it and announced to screen readers.
export function Field(props: {
  label: string;
  name: string;
  problem?: Problem;
  hint?: string;
  children: (attrs: { id: string; name: string; "aria-invalid": boolean; "aria-describedby"?: string }) => JSX.Element;
}) {
  const id = `f-${props.name.replace(/\W/g, "-")}`;
  const error = props.problem?.field === props.name ? inPlainWords(props.problem.message, props.name, props.label) : "";
  const described = [error && `${id}-error`, props.hint && `${id}-hint`].filter(Boolean).join(" ");
  return (
    <div class={`field ${error ? "invalid" : ""}`}>
      <label for={id}>{props.label}</label>
      {props.children({ id, name: props.name, "aria-invalid": !!error, "aria-describedby": described || undefined })}
      {props.hint && (
        <small id={`${id}-hint`} class="hint">
          {props.hint}
        </small>
      )}
      {error && (
        <small id={`${id}-error`} class="field-error" role="alert">
          {error}
        </small>
      )}
    </div>
  );
}

export function ProblemBanner(props: { problem?: Problem; fieldsShown?: string[] }) {
  const p = props.problem;
  if (!p || props.fieldsShown?.includes(p.field)) return null;
  return (
    <p class="problem" role="alert">
      {inPlainWords(p.message)}
    </p>
  );
}

// Pages through server-side pages: tokens of the pages before are kept so
// "Previous" can go back.
export function Pager(props: { tokens: string[]; next: string; onChange(tokens: string[]): void }) {
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={props.tokens.length === 0} onClick={() => props.onChange(props.tokens.slice(0, -1))}>
        Previous
      </button>
      <span>Page {props.tokens.length + 1}</span>
      <button type="button" disabled={!props.next} onClick={() => props.onChange([...props.tokens, props.next])}>
        Next
      </button>
    </nav>
  );
}

// `cards`: one card per row on narrow screens (cells carry data-label).
export function Table(props: { label: string; cards?: boolean; children: ComponentChildren }) {
  return (
    <div class={props.cards ? "table-wrap cards" : "table-wrap"} role="region" aria-label={props.label} tabIndex={0}>
      <table>{props.children}</table>
    </div>
  );
}
