"""The page's own script (Gradio's ``head``): what Gradio's components do not do themselves.

- Each new answer is shown from its start: Gradio's autoscroll is off (it would show the
  end: the notice and "Sources"), and the chat is scrolled so that the question just asked
  is at the top of the conversation box. Opened Sources are brought to the top the same way.
- On a phone the conversation box fills the screen down to the question box, so the
  question box and its buttons stay on screen (the height is measured, not guessed, and
  measured again whenever the question row changes size).
- Gradio labels each chat message with its raw content (a screen reader would read our
  HTML tags) and names the upload area differently from its visible text: both are named
  by what is on screen.
- The admin password field belongs to a form with a username field, so that password
  managers offer to save and fill it (Gradio renders it outside any form).
"""

from __future__ import annotations

HEAD = r"""<style>
/* Gradio scopes the app's CSS inside its container; the page margin is outside it. */
@media (max-width: 640px) { .gradio-container .main.app { padding: 8px 12px !important; } }
</style>
<script>
(() => {
  const name = (el, text) => {
    if (el.getAttribute("aria-label") !== text) el.setAttribute("aria-label", text);
  };
  const label = () => {
    document.querySelectorAll("#chat [data-testid=user], #chat [data-testid=bot]")
      .forEach(el => name(el, (el.dataset.testid === "user" ? "You: " : "Answer: ")
        + el.innerText.trim().replace(/\s+/g, " ").slice(0, 300)));
    document.querySelectorAll("button.upload-container").forEach(el => name(el,
      el.innerText.trim().replace(/\s+/g, " ") + " — " + (el.closest(".block")
        ?.querySelector("label")?.innerText.trim() || "")));
  };

  const chatLog = () => document.querySelector("#chat [role=log]");
  const toTop = (box, el) => {
    box.scrollTop += el.getBoundingClientRect().top - box.getBoundingClientRect().top - 4;
  };
  // The rows above can still change height while a reply streams in (Gradio renders each
  // update again), so the question stays pinned to the top until its answer is in, or until
  // the reader scrolls.
  let answers = 0, pin = -1, release = 0;
  const placeNewAnswer = () => {
    const box = chatLog();
    if (!box) return;
    const rows = box.querySelectorAll(".message-row");
    const bots = box.querySelectorAll(".message-row.bot-row").length;
    if (bots > answers && rows.length) {  // a new reply: its question (or itself) on top
      const last = rows.length - 1;
      pin = rows[last - 1]?.classList.contains("user-row") ? last - 1 : last;
      release = 0;
    }
    answers = bots;
    if (pin < 0 || !rows[pin] || (release && performance.now() > release)) return;
    toTop(box, rows[pin]);
    if (!release && rows[rows.length - 1].querySelector(".cramp-done"))
      release = performance.now() + 1500;  // the answer is in; let its layout settle
  };
  ["wheel", "touchstart", "keydown", "pointerdown"].forEach(kind => document.addEventListener(
    kind, e => { if (e.target.closest?.("#chat [role=log]")) pin = -1; },
    {capture: true, passive: true}));
  document.addEventListener("toggle", e => {  // opened Sources fill the box from the top
    const box = chatLog();
    if (box && e.target.open && e.target.matches?.("#chat details.cramp-sources")) {
      pin = -1;
      toTop(box, e.target);
    }
  }, true);

  // The question box grows with its text and with the fonts the phone has; Gradio sets its
  // height as a style, which the mutation observer below does not see: a resize observer does.
  const resized = new ResizeObserver(() => soon());
  let watched = null;
  const fitChat = () => {  // phone: the box ends where the question box begins
    const chat = document.getElementById("chat"), ask = document.getElementById("ask-row");
    if (!chat || !ask || !chat.offsetParent) return;
    if (watched !== ask) { resized.observe(ask); watched = ask; }
    const box = chat.getBoundingClientRect(), row = ask.getBoundingClientRect();
    const below = row.bottom - box.bottom + 12;  // the gap, the question row, the page margin
    const height = Math.max(240, Math.floor(innerHeight - (box.top + scrollY) - below)) + "px";
    if (document.body.style.getPropertyValue("--cramp-chat-h") !== height)
      document.body.style.setProperty("--cramp-chat-h", height);
    document.body.dataset.chatFitted = String(Math.round(row.height));  // for the tests
  };

  const formForPassword = () => {
    const field = document.querySelector("#password input[type=password]");
    if (!field || field.form) return;
    let form = document.getElementById("cramp-admin-form");
    if (!form) {
      form = document.createElement("form");
      form.id = "cramp-admin-form";
      form.method = "post";
      form.action = "admin/login";
      form.addEventListener("submit", e => e.preventDefault());
      form.innerHTML = '<input type="text" name="username" autocomplete="username" ' +
        'value="admin" hidden>';
      document.body.appendChild(form);
    }
    field.setAttribute("form", form.id);
    field.name = "password";
    field.autocomplete = "current-password";
  };

  let queued = false;
  const update = () => {
    queued = false;
    label();
    placeNewAnswer();
    fitChat();
    formForPassword();
  };
  const soon = () => { if (!queued) { queued = true; requestAnimationFrame(update); } };
  new MutationObserver(soon).observe(document.documentElement,
    {subtree: true, childList: true, characterData: true});
  addEventListener("resize", soon);
})();
</script>"""
