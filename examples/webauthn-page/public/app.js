// Browser side of the example: @simplewebauthn/browser (UMD bundle, global
// SimpleWebAuthnBrowser) drives navigator.credentials; the server verifies and audits.
'use strict';
(function () {
  const { startRegistration, startAuthentication } = window.SimpleWebAuthnBrowser;
  const status = document.getElementById('status');
  const username = document.getElementById('username');

  function show(result, text) {
    status.dataset.result = result;
    status.textContent = text;
  }

  async function post(path, body) {
    const res = await fetch('/webauthn' + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  async function register() {
    const options = await post('/registration/options', { username: username.value });
    if (options.status !== 200) return show('failed:' + options.body.error, options.body.message || options.body.error);
    const response = await startRegistration({ optionsJSON: options.body });
    const result = await post('/registration/verify', response);
    if (result.body.verified) show('registered', 'Passkey registered for ' + result.body.user.name + '.');
    else show('failed:' + result.body.error, 'Registration failed: ' + result.body.error);
  }

  async function signIn() {
    const options = await post('/authentication/options', username.value ? { username: username.value } : {});
    if (options.status !== 200) return show('failed:' + options.body.error, options.body.message || options.body.error);
    const response = await startAuthentication({ optionsJSON: options.body });
    const result = await post('/authentication/verify', response);
    if (result.body.verified) show('signed-in', 'Signed in as ' + result.body.user.name + '.');
    else show('failed:' + result.body.error, 'Sign-in failed: ' + result.body.error);
  }

  function guard(fn) {
    return () => fn().catch((err) => show('failed:browser', 'The browser refused: ' + (err && err.message)));
  }
  document.getElementById('register').addEventListener('click', guard(register));
  document.getElementById('signin').addEventListener('click', guard(signIn));
})();
