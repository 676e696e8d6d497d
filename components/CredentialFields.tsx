import { Field } from "./Field.tsx";

/** The email and password fields of the sign-in, setup and registration forms. */
export function CredentialFields(props: {
  values: Record<string, string>;
  errors: Record<string, string>;
  /** "new" for forms that choose a password (with its rules), "current" for sign-in. */
  password: "new" | "current";
}) {
  const { values, errors } = props;
  return (
    <>
      <Field
        name="email"
        label="Email"
        type="email"
        autocomplete="username"
        value={values.email}
        error={errors.email && `Email ${errors.email}`}
        required
        autofocus
      />
      <Field
        name="password"
        label="Password"
        type="password"
        autocomplete={props.password === "new" ? "new-password" : "current-password"}
        hint={props.password === "new"
          ? "At least 12 characters. A passphrase is easiest to remember."
          : undefined}
        error={errors.password && `Password ${errors.password}`}
        minLength={props.password === "new" ? 12 : undefined}
        required
      />
    </>
  );
}
