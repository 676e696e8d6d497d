import { z } from "zod";
import { page, type PageHandlers, type PageProps } from "@/lib/web/define.ts";
import { readForm } from "@/lib/web/forms.ts";
import { signInAndRedirect } from "@/lib/web/sign_in.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { Email, NewPassword } from "@/lib/api/schemas.ts";
import { CredentialFields } from "@/components/CredentialFields.tsx";
import { Field } from "@/components/Field.tsx";

const SetupForm = z.object({ email: Email, password: NewPassword, confirm: z.string() })
  .refine((f) => f.password === f.confirm, { path: ["confirm"], message: "does not match" });

interface Data {
  values: Record<string, string>;
  errors: Record<string, string>;
}

export const title = "Welcome · Lattice";

export const handler: PageHandlers<Data> = {
  async GET(c) {
    if (await c.get("app").auth.hasUsers()) return c.redirect("/login", 303);
    return page({ values: {}, errors: {} });
  },
  async POST(c) {
    const app = c.get("app");
    if (await app.auth.hasUsers()) return c.redirect("/login", 303);
    const form = await readForm(c, SetupForm);
    if (!form.ok) return page({ values: form.values, errors: form.errors }, { status: 422 });
    await app.auth.register(form.data, requestMeta(c));
    const result = await signInAndRedirect(c, form.data, "/");
    if (result instanceof Response) return result;
    return page({ values: form.values, errors: { _form: result.error } }, {
      status: result.status,
    });
  },
};

export default function Setup({ data }: PageProps<Data>) {
  return (
    <>
      <h1>Set up Lattice</h1>
      <p class="lede">
        No accounts exist yet. The account you create now is the{" "}
        <strong>administrator</strong>: it approves nodes, manages pools and sees everything.
      </p>
      {data.errors._form && <p class="alert alert-error" role="alert">{data.errors._form}</p>}
      <form method="post" action="/setup" class="stack" novalidate>
        <CredentialFields values={data.values} errors={data.errors} password="new" />
        <Field
          name="confirm"
          label="Confirm password"
          type="password"
          autocomplete="new-password"
          error={data.errors.confirm && `Confirmation ${data.errors.confirm}`}
          required
        />
        <button type="submit" class="button button-primary">Create admin account</button>
      </form>
    </>
  );
}
