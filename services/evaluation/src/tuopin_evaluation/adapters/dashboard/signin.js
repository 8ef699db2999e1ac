// The dashboard's sign-in page (登录). signin/config says how: "oidc" — the authorization
// code flow with PKCE (S256) at the province's provider, as a public client, through
// oauth4webapi (vendored, MIT): discovery, state and nonce checked, the code exchanged at
// the token endpoint from here; "development" — the embedded form that mints a
// development token; "none" — not configured. The token goes to sessionStorage (this tab
// only), where dashboard.js reads it. Text goes in through textContent only.
import * as oauth from "./oauth4webapi.js";

const TOKEN = "tuopin-token"; // dashboard.js reads it
const FLOW = "tuopin-signin"; // state, nonce and code verifier of a sign-in under way
const $ = (id) => document.getElementById(id);
// The provider sends the browser back here, answering in the fragment.
const REDIRECT = new URL("signin", document.baseURI).href;

function fail(error) {
  const box = $("error");
  box.replaceChildren("登录失败 ", Object.assign(document.createElement("span"), { lang: "en", textContent: "Sign-in failed" }),
    `: ${error.message || error}`);
  box.hidden = false;
  $("status").textContent = "";
  document.body.dataset.state = "error";
}

function ready(section, status) {
  $(section).hidden = false;
  $("status").textContent = status;
  document.body.dataset.state = "ready";
}

function signedIn(token) {
  sessionStorage.setItem(TOKEN, token);
  location.replace(new URL("dashboard", document.baseURI));
}

// ---- OIDC: authorization code + PKCE ---------------------------------------------------

// Plain http only for a provider on this machine (a developer's or a test's).
function loopback(url) {
  return ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname) ? { [oauth.allowInsecureRequests]: true } : {};
}

async function provider(config) {
  const issuer = new URL(config.issuer);
  const options = loopback(issuer);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...options, algorithm: "oidc" }));
  return { as, client: { client_id: config.client_id }, options };
}

async function authorize({ as, client }, scope) {
  const flow = {
    verifier: oauth.generateRandomCodeVerifier(),
    state: oauth.generateRandomState(),
    nonce: oauth.generateRandomNonce(),
  };
  sessionStorage.setItem(FLOW, JSON.stringify(flow));
  const url = new URL(as.authorization_endpoint);
  for (const [name, value] of Object.entries({
    client_id: client.client_id,
    response_type: "code",
    response_mode: "fragment",
    redirect_uri: REDIRECT,
    scope,
    state: flow.state,
    nonce: flow.nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(flow.verifier),
    code_challenge_method: "S256",
  })) {
    url.searchParams.set(name, value);
  }
  location.assign(url);
}

async function callback({ as, client, options }, answer) {
  const flow = JSON.parse(sessionStorage.getItem(FLOW) || "null");
  sessionStorage.removeItem(FLOW); // one use: a replayed callback finds no flow
  if (!flow) throw new Error("no sign-in was started in this tab (state unknown)");
  const params = oauth.validateAuthResponse(as, client, answer, flow.state); // state, iss, error
  const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, REDIRECT, flow.verifier, options);
  const result = await oauth.processAuthorizationCodeResponse(as, client, response, {
    expectedNonce: flow.nonce,
    requireIdToken: true,
  });
  signedIn(result.access_token);
}

// ---- development: the embedded form -----------------------------------------------------

const PREFIX = { 2: (c) => c.endsWith("0000"), 4: (c) => c.endsWith("00") && !c.endsWith("0000"), 6: (c) => !c.endsWith("00") };

async function developmentForm() {
  const names = await (await fetch("dashboard/regions.json")).json();
  const role = $("role");
  const pick = () => {
    const digits = Number(role.selectedOptions[0].dataset.digits);
    const listed = PREFIX[digits];
    $("region").hidden = $("region-label").hidden = !listed;
    $("region-code").hidden = $("region-code-label").hidden = !(digits > 6);
    $("region-code").pattern = digits > 6 ? `62[0-9]{${digits - 2}}` : "";
    $("region-code").required = digits > 6;
    if (listed) {
      const options = Object.entries(names)
        .filter(([code]) => listed(code))
        .map(([code, name]) => new Option(`${name} ${code.slice(0, digits)}`, code.slice(0, digits)));
      $("region").replaceChildren(...options);
    }
  };
  role.addEventListener("change", pick);
  pick();
  $("development-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const digits = Number(role.selectedOptions[0].dataset.digits);
    const region = digits > 6 ? $("region-code").value : digits ? $("region").value : null;
    const response = await fetch("signin/development", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ role: role.value, region }),
    });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const errors = (body && body.errors) || [];
      fail(new Error(`${response.status} ${[body && body.detail, ...errors.map((e) => e.msg)].filter(Boolean).join("; ")}`));
      return;
    }
    signedIn(body.access_token);
  });
  ready("development", "开发环境：选择角色和地区。Development: choose a role and a region.");
}

// ---- the page ---------------------------------------------------------------------------

async function main() {
  const answer = new URLSearchParams(location.hash.slice(1));
  // The code and state leave the address bar and the history at once.
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  if (answer.has("signed_out")) sessionStorage.removeItem(TOKEN);
  const config = await (await fetch("signin/config", { headers: { Accept: "application/json" } })).json();
  if (config.mode === "oidc") {
    const found = await provider(config);
    if (answer.has("code") || answer.has("error")) {
      $("status").textContent = "正在登录… Signing in…";
      await callback(found, answer);
      return;
    }
    $("issuer").textContent = config.issuer;
    $("oidc-signin").addEventListener("click", () => authorize(found, config.scope).catch(fail));
    ready("oidc", answer.has("signed_out") ? "已退出。Signed out." : "");
  } else if (config.mode === "development") {
    await developmentForm();
  } else {
    ready("none", "");
  }
}

main().catch(fail);
