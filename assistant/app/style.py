"""How the page looks: system fonts (nothing fetched from outside), AA contrast, a layout
that works from a 390 px phone to a desktop."""

from __future__ import annotations

import gradio as gr

# Primary buttons and links darker than Gradio's: blue-700 on white is 6.7:1 (AA needs 4.5).
THEME = gr.themes.Base(font=["system-ui", "sans-serif"],
                       font_mono=["ui-monospace", "monospace"]).set(
    button_primary_background_fill="*primary_700",
    button_primary_background_fill_hover="*primary_800",
    button_primary_text_color="white",
    body_text_color_subdued="*neutral_600",
    link_text_color="*primary_700", link_text_color_hover="*primary_800",
    link_text_color_visited="*primary_800", link_text_color_active="*primary_800",
    link_text_color_dark="*primary_300", link_text_color_hover_dark="*primary_200",
    link_text_color_visited_dark="*primary_200", link_text_color_active_dark="*primary_200",
)

CSS = """
#intro h1 { margin-bottom: .2em; }
#chat { height: min(52vh, 600px) !important; }
#chat .prose.chatbot.md { opacity: 1 !important; }  /* Gradio fades messages to 80 % */
#examples { flex-wrap: wrap; gap: .4rem; align-items: center; }
#examples > * { flex: 0 1 auto !important; min-width: 0 !important; width: auto !important; }
#try-asking p { margin: 0; }
.cramp-example { white-space: normal !important; text-align: left; }
.cramp-answer { line-height: 1.5; }
.cramp-answer p { display: block; margin: .35em 0; }
.cramp-answer a { color: var(--link-text-color); }
.cramp-note { font-style: italic; color: var(--body-text-color-subdued); }
.cramp-notice { font-size: .95em; color: var(--body-text-color-subdued); }
.cramp-cite { color: var(--link-text-color) !important; text-decoration: none;
  font-weight: 600; padding: 0 .1em; }
.cramp-cite:hover, .cramp-cite:focus { text-decoration: underline; }
.cramp-agree { text-decoration: underline dotted; cursor: help; }
.cramp-sources { margin-top: .6em; border-top: 1px solid var(--border-color-primary); }
.cramp-sources summary { cursor: pointer; font-weight: 600; padding: .4em 0; }
.cramp-source-list { padding-left: 0; list-style: none; }
.cramp-source { margin: 0 0 1em; }
.cramp-source-title { margin: 0; }
.cramp-prov { margin: 0; color: var(--body-text-color-subdued); font-size: .95em; }
.cramp-source blockquote { margin: .4em 0; padding: .1em 0 .1em .8em; font-size: .95em;
  border-left: 3px solid var(--border-color-primary); opacity: 1; color: inherit; }
.cramp-source blockquote ul, .cramp-source blockquote ol { margin: .2em 0 .2em 1.2em; }
.cramp-links { margin: .2em 0; font-size: .95em; }
.cramp-img { font-style: italic; }
mark { background: #ffe58a; color: #1f2328; padding: 0 .1em; }
.cramp-table { width: 100%; border-collapse: collapse; font-size: .95em; border: 0 !important; }
.cramp-table caption { text-align: left; font-weight: 600; padding: .3em 0; }
.cramp-table tr { border: 0 !important; }
.cramp-table th, .cramp-table td { text-align: left; vertical-align: top; padding: .35em .5em;
  border: 0 !important; border-bottom: 1px solid var(--border-color-primary) !important;
  overflow-wrap: break-word; word-break: normal; }
.cramp-table .cramp-id { font-family: var(--font-mono); font-size: .9em;
  overflow-wrap: anywhere; }
footer a, footer button, footer .show-api { color: var(--body-text-color) !important; }
@media (max-width: 640px) {
  #intro h1 { font-size: 1.6em; }
  #chat { height: 40vh !important; }
  .cramp-stack { flex-wrap: wrap !important; }
  .cramp-stack > * { min-width: 100% !important; }
  .cramp-table caption { display: block; }
  .cramp-table thead { position: absolute; width: 1px; height: 1px; overflow: hidden;
    clip: rect(0 0 0 0); }
  .cramp-table, .cramp-table tbody, .cramp-table tr, .cramp-table td { display: block;
    width: auto; }
  .cramp-table tr { padding: .4em 0; border-bottom: 1px solid var(--border-color-primary)
    !important; }
  .cramp-table td { border: 0 !important; padding: .1em 0; }
  .cramp-table td::before { content: attr(data-label) ": "; font-weight: 600; }
}
"""

# Gradio labels each chat message with its raw content (a screen reader would read our
# HTML tags) and names the upload area differently from its visible text. Name both by
# what is on screen.
HEAD = """<script>
(() => {
  const name = (el, text) => {
    if (el.getAttribute("aria-label") !== text) el.setAttribute("aria-label", text);
  };
  const fix = () => {
    document.querySelectorAll("#chat [data-testid=user], #chat [data-testid=bot]")
      .forEach(el => name(el, (el.dataset.testid === "user" ? "You: " : "Answer: ")
        + el.innerText.trim().replace(/\\s+/g, " ").slice(0, 300)));
    document.querySelectorAll("button.upload-container").forEach(el => name(el,
      el.innerText.trim().replace(/\\s+/g, " ") + " — " + (el.closest(".block")
        ?.querySelector("label")?.innerText.trim() || "")));
  };
  new MutationObserver(fix).observe(document.documentElement,
    {subtree: true, childList: true, characterData: true});
})();
</script>"""
