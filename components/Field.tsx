/** A labelled input with its validation message, linked for screen readers. */
export function Field(props: {
  name: string;
  label: string;
  type?: string;
  value?: string;
  error?: string;
  autocomplete?: string;
  hint?: string;
  required?: boolean;
  autofocus?: boolean;
  minLength?: number;
}) {
  const id = `f-${props.name}`;
  const described = [props.hint && `${id}-hint`, props.error && `${id}-error`].filter(Boolean);
  return (
    <div class={props.error ? "field field-invalid" : "field"}>
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? "text"}
        value={props.value ?? ""}
        autocomplete={props.autocomplete}
        required={props.required}
        autofocus={props.autofocus}
        minLength={props.minLength}
        aria-invalid={props.error ? "true" : undefined}
        aria-describedby={described.length ? described.join(" ") : undefined}
      />
      {props.hint && <p class="field-hint" id={`${id}-hint`}>{props.hint}</p>}
      {props.error && (
        <p class="field-error" id={`${id}-error`} data-field-error={props.name}>{props.error}</p>
      )}
    </div>
  );
}

/** The hidden CSRF field every signed-in form carries. */
export function CsrfField(props: { token: string | null }) {
  return props.token ? <input type="hidden" name="_csrf" value={props.token} /> : null;
}
