"""How the page looks: system fonts (nothing fetched from outside), AA contrast, a layout
that works from a 390 px phone to a desktop (the page's script is in :mod:`.script`)."""

from __future__ import annotations

import gradio as gr

from .script import HEAD  # noqa: F401  (served with the CSS)

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
/* Gradio's "scroll down" arrow would sit on the answer's text: each answer opens at its start
   and the reader scrolls on. Thumbs are only under finished answers, not under a prompt,
   "Searching…" or an error message. */
#chat .scroll-down-button-container { display: none !important; }
#chat .message:not(:has(.cramp-rated)) + .message-buttons
  :is(button[aria-label=Like], button[aria-label=Dislike]) { display: none !important; }
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
  /* A phone: the intro, the tabs and one row of examples above a conversation box that
     reaches down to the question box (its height is measured by the page's script). */
  #intro h1 { font-size: 1.35em; margin: 0 0 .1em; }
  #intro p:not(:has(em)) { display: none; }  /* the placeholder says it in the chat box */
  #intro p { margin: 0; font-size: .9em; }
  #examples { flex-wrap: nowrap !important; overflow-x: auto; padding-bottom: 2px; }
  #examples > * { flex: 0 0 auto !important; }
  #try-asking { display: none; }
  .cramp-example { white-space: nowrap !important; }
  #chat { height: var(--cramp-chat-h, 55vh) !important; }
  #ask-row { flex-wrap: nowrap !important; gap: 6px; align-items: stretch; }
  #ask-row > .form { min-width: 0 !important; }
  #ask-row > button { min-width: 58px !important; flex-grow: 0 !important; padding: 0 10px; }
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
