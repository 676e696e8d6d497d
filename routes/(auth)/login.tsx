import { page, type PageHandlers, type PageProps } from "@/lib/web/define.ts";
import { readForm, safeNext } from "@/lib/web/forms.ts";
import { signInAndRedirect } from "@/lib/web/sign_in.ts";
import { Credentials } from "@/lib/api/schemas.ts";
import { CredentialFields } from "@/components/CredentialFields.tsx";

interface Data {
  values: Record<string, string>;
  errors: Record<string, string>;
  next: string;
  registrationOpen: boolean;
}

export const title = "Sign in · Lattice";

export const handler: PageHandlers<Data> = {
  async GET(c) {
    const app = c.get("app");
    if (!(await app.auth.hasUsers())) return c.redirect("/setup", 303);
    const next = safeNext(c.req.query("next"));
    if (c.get("principal")) return c.redirect(next, 303);
    return page({ values: {}, errors: {}, next, registrationOpen: app.auth.registrationOpen() });
  },
  async POST(c) {
    const app = c.get("app");
    const form = await readForm(c, Credentials);
    const next = safeNext(form.values.next);
    const registrationOpen = app.auth.registrationOpen();
    if (!form.ok) {
      return page({ values: form.values, errors: form.errors, next, registrationOpen }, {
        status: 422,
      });
    }
    const result = await signInAndRedirect(c, form.data, next);
    if (result instanceof Response) return result;
    return page({
      values: { email: form.values.email },
      errors: { _form: result.error },
      next,
      registrationOpen,
    }, { status: result.status });
  },
};

export default function Login({ data }: PageProps<Data>) {
  return (
    <>
      <h1>Sign in</h1>
      {data.errors._form && <p class="alert alert-error" role="alert">{data.errors._form}</p>}
      <form method="post" action="/login" class="stack" novalidate>
        <input type="hidden" name="next" value={data.next} />
        <CredentialFields values={data.values} errors={data.errors} password="current" />
        <button type="submit" class="button button-primary">Sign in</button>
      </form>
      {data.registrationOpen && (
        <p class="auth-alt">
          No account yet? <a href="/register">Create one</a>
        </p>
      )}
    </>
  );
}
