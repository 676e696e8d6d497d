import { page, type PageHandlers, type PageProps } from "@/lib/web/define.ts";
import { readForm } from "@/lib/web/forms.ts";
import { signInAndRedirect } from "@/lib/web/sign_in.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { Registration } from "@/lib/api/schemas.ts";
import { ConflictError } from "@/lib/errors.ts";
import { CredentialFields } from "@/components/CredentialFields.tsx";

interface Data {
  values: Record<string, string>;
  errors: Record<string, string>;
  open: boolean;
}

export const title = "Create an account · Lattice";

export const handler: PageHandlers<Data> = {
  async GET(c) {
    const app = c.get("app");
    if (!(await app.auth.hasUsers())) return c.redirect("/setup", 303);
    return page({ values: {}, errors: {}, open: app.auth.registrationOpen() });
  },
  async POST(c) {
    const app = c.get("app");
    if (!(await app.auth.hasUsers())) return c.redirect("/setup", 303);
    const open = app.auth.registrationOpen();
    if (!open) return page({ values: {}, errors: {}, open }, { status: 403 });
    const form = await readForm(c, Registration);
    if (!form.ok) return page({ values: form.values, errors: form.errors, open }, { status: 422 });
    try {
      await app.auth.register(form.data, requestMeta(c));
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      return page({ values: form.values, errors: { email: "already has an account" }, open }, {
        status: 409,
      });
    }
    const result = await signInAndRedirect(c, form.data, "/");
    if (result instanceof Response) return result;
    return page({ values: form.values, errors: { _form: result.error }, open }, {
      status: result.status,
    });
  },
};

export default function Register({ data }: PageProps<Data>) {
  if (!data.open) {
    return (
      <>
        <h1>Registration is closed</h1>
        <p>
          This server does not let people create their own accounts. Ask an administrator for one,
          or, if you run this server, start it with <code>LATTICE_REGISTRATION=open</code>.
        </p>
        <p>
          <a href="/login">Back to sign in</a>
        </p>
      </>
    );
  }
  return (
    <>
      <h1>Create an account</h1>
      <form method="post" action="/register" class="stack" novalidate>
        <CredentialFields values={data.values} errors={data.errors} password="new" />
        <button type="submit" class="button button-primary">Create account</button>
      </form>
      <p class="auth-alt">
        Already have one? <a href="/login">Sign in</a>
      </p>
    </>
  );
}
