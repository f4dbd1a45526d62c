"""``cramp-assistant``: a thin command line over the library.

Library errors become one-line CLI errors here and nowhere else. Heavy libraries (torch,
FAISS, Gradio) are imported inside the commands that need them, so ``--help`` and
``status`` stay fast.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__
from .errors import AssistantError
from .settings import Settings

F = TypeVar("F", bound=Callable[..., Any])

corpus_option = click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path),
                             help="Corpus folder [default: ./corpus, env CRAMP_CORPUS_DIR].")
index_option = click.option("--index", "index_dir", type=click.Path(path_type=Path),
                            help="Index folder [default: ./index, env CRAMP_INDEX_DIR].")


def _settings(corpus_dir: Path | None = None, index_dir: Path | None = None) -> Settings:
    overrides = {k: v for k, v in (("corpus_dir", corpus_dir), ("index_dir", index_dir)) if v}
    return Settings(**overrides)  # type: ignore[arg-type]


def friendly_errors(fn: F) -> F:
    """Show library errors as a one-line message and exit 1, never as a traceback."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AssistantError as exc:
            raise click.ClickException(str(exc)) from exc
    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cramp-assistant")
def cli() -> None:
    """Cited answers about leg and thigh cramps, from a curated library of articles.

    Typical use: `add` articles, `build` the index, then `search`, `ask` or `serve`.
    Every option also reads a CRAMP_* environment variable (see README).
    """


@cli.command()
@click.argument("sources", metavar="FILE_OR_URL...", nargs=-1, required=True)
@corpus_option
@friendly_errors
def add(sources: tuple[str, ...], corpus_dir: Path | None) -> None:
    """Import .txt, .md, .html or .pdf articles, or http(s) URLs, as clean Markdown.

    A Markdown file's YAML front matter (title, publisher, url, date, licence) is kept as
    the article's metadata. A URL is fetched within limits (CRAMP_URL_TIMEOUT_SECONDS,
    CRAMP_MAX_ARTICLE_BYTES, CRAMP_URL_MAX_REDIRECTS) and imported like a saved page.
    Prints an import report: characters read, kept and removed per source, and every
    block dropped with the reason. Each source is added or refused on its own;
    duplicates, unreadable files and failed downloads are reported, not added, and make
    the command exit with status 1.
    """
    from .ingest.corpus import add_articles, format_report
    from .ingest.importer import is_url

    items = [s if is_url(s) else Path(s) for s in sources]
    results = add_articles(items, _settings(corpus_dir))
    click.echo(format_report(results))
    if any(r.status == "added" for r in results):
        click.echo("Run `cramp-assistant build` to index the new articles.", err=True)
    if any(r.status != "added" for r in results):  # a duplicate too: not what was asked
        sys.exit(1)


@cli.command()
@corpus_option
@index_option
@click.option("--if-needed", is_flag=True,
              help="Only build when the index is missing, damaged, stale or built with other "
                   "settings.")
@click.option("--verify", is_flag=True,
              help="With --if-needed: checksum every byte of the index, not only sizes and "
                   "samples.")
@click.option("--full", is_flag=True, help="Embed every passage again (ignore the last build).")
@friendly_errors
def build(corpus_dir: Path | None, index_dir: Path | None, if_needed: bool, verify: bool,
          full: bool) -> None:
    """Build (or update) the search index from the corpus.

    Only articles that changed are chunked and embedded again (and within them only the
    passages and sentences that changed); a change of model, backend or chunk settings,
    or a damaged index, rebuilds everything. The old index stays in place until the new
    one is complete and valid.
    """
    from .index.build import build_index
    from .index.embedding import make_embedder

    settings = _settings(corpus_dir, index_dir)
    if if_needed:
        from .core import index_status

        state = index_status(settings, verify=verify)
        if state.usable:
            click.echo(f"index in {settings.index_dir} is up to date; nothing to do")
            return
        if state.damage:
            click.echo(f"index in {settings.index_dir} is {state.state}", err=True)
            full = True

    tty = sys.stderr.isatty()

    def progress(stage: str, done: int, total: int) -> None:
        # On a terminal one line updates in place; in a log each step gets its own line.
        line = f"{stage}: {done}/{total} texts"
        click.echo(f"\r{line}" if tty else line, nl=not tty or done >= total, err=True)

    report = build_index(settings, make_embedder(settings), progress, full=full)
    click.echo(report.summary())


@cli.command()
@corpus_option
@index_option
@click.option("--verify", is_flag=True,
              help="Checksum every byte of the index (by default: sizes, small files and "
                   "samples of large ones).")
@friendly_errors
def status(corpus_dir: Path | None, index_dir: Path | None, verify: bool) -> None:
    """Show the index: articles, chunks, model, build time, fresh, stale or damaged (one
    fact a line), and a fix line when it needs a build."""
    from .core import index_status

    click.echo(index_status(_settings(corpus_dir, index_dir), verify=verify).summary())


@cli.command(name="list")
@corpus_option
@friendly_errors
def list_articles(corpus_dir: Path | None) -> None:
    """List the articles in the corpus, tab-separated under a header line: id, title,
    publisher, published (the article's own date), added (when it joined the library).
    What an article does not say is "unknown"."""
    from .ingest.corpus import load_corpus

    click.echo("id\ttitle\tpublisher\tpublished\tadded")
    for a in load_corpus(_settings(corpus_dir).corpus_dir):
        fields = (a.article_id, a.title, a.publisher, a.published, a.added)
        click.echo("\t".join(f or "unknown" for f in fields))


@cli.command()
@click.argument("article_id")
@corpus_option
@friendly_errors
def remove(article_id: str, corpus_dir: Path | None) -> None:
    """Remove one article (by the id `list` shows); rebuild afterwards."""
    from .ingest.corpus import remove_article

    path = remove_article(article_id, _settings(corpus_dir).corpus_dir)
    click.echo(f"removed {path}; run `cramp-assistant build` to update the index")


def _load(index_dir: Path | None) -> Any:
    from .core import Assistant

    return Assistant.load(settings=_settings(index_dir=index_dir))


@cli.command()
@click.argument("question")
@click.option("-k", "k", type=click.IntRange(1, 50),
              help="Passages to return [default: 5, env CRAMP_TOP_K].")
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print the hits as JSON.")
@friendly_errors
def search(question: str, k: int | None, index_dir: Path | None, as_json: bool) -> None:
    """Show the passages that best match QUESTION (hybrid dense + keyword search)."""
    hits = _load(index_dir).search(question, k=k)
    if as_json:
        click.echo(json.dumps([h.to_dict() for h in hits], indent=2, ensure_ascii=False))
        return
    for h in hits:
        click.echo(f"[{h.rank}] {h.score:.4f} (cos {h.similarity:.3f}) {h.title} — "
                   f"{h.section or 'introduction'}\n    {h.source}:{h.start}-{h.end}")
        click.echo("    " + h.text.replace("\n", "\n    ") + "\n")


@cli.command()
@click.argument("question")
@click.option("--history", "history", multiple=True,
              help="An earlier question of the chat (repeatable, oldest first), for follow-ups.")
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print the answer and its audit record.")
@friendly_errors
def ask(question: str, history: tuple[str, ...], index_dir: Path | None, as_json: bool) -> None:
    """Answer QUESTION from the articles, with numbered citations.

    Every sentence is taken from a cited passage; questions the articles do not cover
    get an honest "not covered". On a terminal the answer is rendered (bold, italics,
    bullets); piped or redirected it is plain text. Not medical advice.
    """
    from .app.terminal import print_answer

    answer = _load(index_dir).ask(question, history=[(q, "") for q in history])
    if as_json:
        click.echo(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False))
        return
    print_answer(answer.text, answer.preface(), sys.stdout)


@cli.command(name="eval")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--grow", "grow", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Also evaluate on a copy of the library grown by these articles (files or "
                   "folders), imported and indexed as `add` and `build` would. Repeatable.")
@corpus_option
@index_option
@click.option("--details", is_flag=True,
              help="Also show figures by category, the misses and the lines judged irrelevant.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--retrieval-only", is_flag=True, help="Skip the answer metrics.")
@friendly_errors
def eval_command(files: tuple[Path, ...], grow: tuple[Path, ...], corpus_dir: Path | None,
                 index_dir: Path | None, details: bool, as_json: bool,
                 retrieval_only: bool) -> None:
    """Score retrieval and answers on question sets (tests/data/eval/*.jsonl format).

    Questions are split into a tune half and a check half by a fixed rule (see README);
    figures are shown for each half, for the shipped library and, with --grow, for a
    temporary copy grown by more articles (the corpus itself is not changed). Questions
    whose evidence comes from articles a library lacks are left out of that library.

    Retrieval: hit@1, hit@5, MRR@10, evidence recall@10. Answers: line precision and
    lines per answer (against the relevance labels in relevant/ beside the sets),
    key-point coverage, abstention accuracy, false abstentions, grounded-sentence rate,
    dangling [n] markers, ask latency p50/p95.
    """
    from .evaluation import evaluate_library, read_items
    from .index.embedding import make_embedder

    settings = _settings(corpus_dir, index_dir)
    items = [item for f in files for item in read_items(f)]
    embedder = make_embedder(settings)
    report = evaluate_library(settings, items, embedder, grow, answers=not retrieval_only)
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else report.format(details))


@cli.command()
@corpus_option
@index_option
@click.option("--host", help="Interface to bind [default: 127.0.0.1, env CRAMP_HOST, else "
              "GRADIO_SERVER_NAME].")
@click.option("--port", type=int, help="Port [default: 7860, env CRAMP_PORT, else "
              "GRADIO_SERVER_PORT].")
@friendly_errors
def serve(corpus_dir: Path | None, index_dir: Path | None, host: str | None,
          port: int | None) -> None:
    """Start the web app (chat, library and the JSON API under /api/v1).

    The page answers at once; a missing or stale index is built and the model loaded in the
    background, and questions asked meanwhile wait for it. Library changes in the app need
    CRAMP_ADMIN_PASSWORD to be set.
    """
    from .app.library import Library
    from .app.server import serve as serve_app
    from .app.ui import build_demo

    settings = _settings(corpus_dir, index_dir)
    settings = settings.model_copy(update={k: v for k, v in (("host", host), ("port", port))
                                           if v is not None})
    library = Library(settings)
    serve_app(library, build_demo(library))


def main() -> None:
    cli(prog_name="cramp-assistant")
