import assert from "node:assert/strict";
import { appTest, errorOf, json, signUp } from "./helpers/app.ts";

appTest("a cookie-authenticated POST without the CSRF token gets 403", async (app) => {
  const { jar, csrfToken } = await signUp(app);
  const without = await app.request(
    "/api/v1/tokens",
    json({ name: "x" }, {
      headers: { cookie: jar.header() },
    }),
  );
  assert.equal(without.status, 403);
  assert.equal((await errorOf(without)).code, "csrf_failed");

  const wrong = await app.request(
    "/api/v1/tokens",
    json({ name: "x" }, {
      headers: { cookie: jar.header(), "x-csrf-token": csrfToken.slice(0, -2) + "xx" },
    }),
  );
  assert.equal(wrong.status, 403);
  await wrong.body?.cancel();

  const right = await app.request(
    "/api/v1/tokens",
    json({ name: "x" }, {
      headers: { cookie: jar.header(), "x-csrf-token": csrfToken },
    }),
  );
  assert.equal(right.status, 201);
  await right.body?.cancel();
  const count = await app.db.query<{ n: number }>("SELECT count(*)::int AS n FROM api_tokens");
  assert.equal(count[0].n, 1, "the refused requests created nothing");
});

appTest(
  "a dashboard form post without the _csrf field gets 403; with it, it works",
  async (app) => {
    const { jar, csrfToken } = await signUp(app);
    const post = (form: Record<string, string>) =>
      app.request("/settings", {
        method: "POST",
        headers: { cookie: jar.header(), "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(form).toString(),
      });
    const denied = await post({ action: "create-token", name: "x", expiresInDays: "" });
    assert.equal(denied.status, 403);
    await denied.body?.cancel();
    const ok = await post({
      action: "create-token",
      name: "x",
      expiresInDays: "",
      _csrf: csrfToken,
    });
    assert.equal(ok.status, 201);
    assert.match(await ok.text(), /lat_[\w-]{43}/);
  },
);

appTest("cross-site requests are refused even with a valid session", async (app) => {
  const { jar, csrfToken } = await signUp(app);
  const headers = { cookie: jar.header(), "x-csrf-token": csrfToken };
  const evil = await app.request(
    "/api/v1/tokens",
    json({ name: "x" }, {
      headers: { ...headers, origin: "https://evil.example" },
    }),
  );
  assert.equal(evil.status, 403);
  assert.equal((await errorOf(evil)).code, "csrf_failed");
  const fetchSite = await app.request(
    "/api/v1/tokens",
    json({ name: "x" }, {
      headers: { ...headers, "sec-fetch-site": "cross-site" },
    }),
  );
  assert.equal(fetchSite.status, 403);
  await fetchSite.body?.cancel();
  const login = await app.request("/login", {
    method: "POST",
    headers: {
      origin: "https://evil.example",
      "content-type": "application/x-www-form-urlencoded",
    },
    body: "email=admin%40example.com&password=x",
  });
  assert.equal(login.status, 403, "login CSRF is refused too");
  await login.body?.cancel();
  const same = await app.request(
    "/api/v1/tokens",
    json({ name: "x" }, {
      headers: { ...headers, origin: "http://localhost" },
    }),
  );
  assert.equal(same.status, 201);
  await same.body?.cancel();
});

appTest("bearer-token requests need no CSRF token", async (app) => {
  const { token } = await signUp(app);
  const res = await app.request(
    "/api/v1/tokens",
    json({ name: "x" }, {
      headers: { authorization: `Bearer ${token}` },
    }),
  );
  assert.equal(res.status, 201);
  await res.body?.cancel();
});
