import assert from "node:assert/strict";
import { installScript, renderInstallScript, SERVER_PLACEHOLDER } from "./install_scripts.ts";

const URL_ = "https://lattice.example.com:8443";

Deno.test("renderInstallScript() puts the server's URL in place of the placeholder", () => {
  const template = `SERVER='${SERVER_PLACEHOLDER}'\necho "${SERVER_PLACEHOLDER}/x"\n`;
  assert.equal(
    renderInstallScript(template, `${URL_}/`),
    `SERVER='${URL_}'\necho "${URL_}/x"\n`,
  );
});

Deno.test("renderInstallScript() refuses a URL a script could not quote safely", () => {
  for (const bad of ["http://x/'; rm -rf ~", "http://x/$(id)", "ftp://x", "http://x/a b"]) {
    assert.throws(() => renderInstallScript(SERVER_PLACEHOLDER, bad), /LATTICE_PUBLIC_URL/, bad);
  }
  assert.throws(() => renderInstallScript("no placeholder", URL_), /placeholder/);
});

Deno.test("install.sh has the URL baked in and checks the download before installing", async () => {
  const sh = await installScript("sh", URL_);
  assert.ok(!sh.includes(SERVER_PLACEHOLDER));
  assert.match(sh, /^#!\/bin\/sh\n/);
  assert.match(sh, new RegExp(`^SERVER='${URL_}'$`, "m"));
  assert.match(sh, /^set -eu$/m);
  assert.match(sh, /sha256sum/);
  assert.match(sh, /shasum -a 256/);
  assert.match(sh, /join --server "\$SERVER" --keep-awake --service install "\$@"/);
  assert.doesNotMatch(sh, /\bsudo\s+(?!loginctl)/, "never runs sudo");
  // The checksum is compared before anything is written to the install dirs.
  assert.ok(sh.indexOf('"$actual" != "$expected"') < sh.indexOf('mkdir -p "$BIN_DIR"'));
  const check = await new Deno.Command("sh", { args: ["-n", "-c", sh] }).output();
  assert.equal(check.code, 0, "valid POSIX sh");
});

Deno.test("install.ps1 has the URL baked in, a -Token parameter and a Get-FileHash check", async () => {
  const ps1 = await installScript("ps1", URL_);
  assert.ok(!ps1.includes(SERVER_PLACEHOLDER));
  assert.match(ps1, new RegExp(`^\\$Server = '${URL_}'$`, "m"));
  assert.match(ps1, /param\(\s*\[string\]\$Token = "",\s*\[string\[\]\]\$JoinArgs = @\(\)\s*\)/);
  assert.match(ps1, /Get-FileHash -Algorithm SHA256/);
  assert.match(ps1, /if \(\$Actual -ne \$Expected\) \{\s*Fail "checksum mismatch/);
  assert.match(ps1, /"\$Server\/downloads\/SHA256SUMS"/);
  assert.match(ps1, /lattice-agent-x86_64-pc-windows-msvc\.exe/);
  assert.match(ps1, /LOCALAPPDATA "Lattice\\bin"/);
  assert.match(ps1, /SetEnvironmentVariable\("Path", .*"User"\)/);
  assert.match(ps1, /"--keep-awake", "--service", "install"/);
  assert.match(ps1, /npm install -g deno/);
  // Checked before anything is copied into the install dir.
  assert.ok(
    ps1.indexOf("$Actual -ne $Expected") <
      ps1.indexOf("New-Item -ItemType Directory -Force -Path $BinDir"),
  );
});
