"""Library errors. Each message says how to fix the problem; the CLI and UI show them as is."""

from __future__ import annotations


class AssistantError(Exception):
    """Base class for every error the library raises on purpose."""


class ImportFailed(AssistantError):
    """An article could not be read or cleaned; nothing in the corpus was changed."""


class DuplicateArticle(ImportFailed):
    """The article, or one very like it, is already in the corpus."""


class IndexMissingError(AssistantError):
    """There is no built index where one was expected."""


class IndexMismatchError(AssistantError):
    """The index was built with other model or chunk settings than the current ones."""


class IndexStaleError(AssistantError):
    """The corpus changed since the index was built."""


class IndexCorruptError(AssistantError):
    """An index file is damaged, truncated or does not match its manifest."""


class BuildLockedError(AssistantError):
    """Another build of the same index is running."""


class ModelUnavailableError(AssistantError):
    """The embedding model cannot be loaded from local files."""


class QuestionError(AssistantError):
    """The question cannot be asked as it is (empty, for example)."""


class DatabaseUnavailable(AssistantError):
    """The shared database (feedback, admin sessions, the build lock) is not answering."""


class Busy(AssistantError):
    """Too many questions are waiting: the caller is asked to try again shortly."""
