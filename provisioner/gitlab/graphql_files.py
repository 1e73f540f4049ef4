"""Files at the default branch, read in bulk: GraphQL's `Repository.blobs(paths:)` for many paths of
many projects at once [G:app/graphql/resolvers/blobs_resolver.rb, app/graphql/types/repository/
blob_type.rb]. GitLab's GraphQL shows a blob's git id and its text, not the sha256 the Files API's HEAD
answers (`X-Gitlab-Content-Sha256`, REFERENCE 2.10): the sha256 is computed here from the text.

The files facet looks up `blob_key(path)` in the run cache before asking the Files API: a
`BlobRecord`, None when the file does not exist, or nothing (binary or cut short: ask the API).
A record keeps the text only where the facet may read it (`Wanted.blob_texts`): a run over
thousands of projects holds their hashes until each project's turn, not their files.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from provisioner.gitlab.cache import RunCache
from provisioner.gitlab.graphql_reads import PAGE, Read, Wanted, complete


@dataclass(frozen=True)
class BlobRecord:
    """A file at the default branch: what a HEAD on the Files API tells, and maybe the text itself."""

    path: str
    blob_id: str
    content_sha256: str
    size: int
    # The text, compressed: it waits in memory for the project's turn (a lock file is ~8 kB, ~2 kB so).
    packed: bytes | None  # None: not kept (the facet does not need it); the Files API has it

    @property
    def content(self) -> str | None:
        return None if self.packed is None else zlib.decompress(self.packed).decode("utf-8")


# -- files ---------------------------------------------------------------------------------------
def blob_key(path: str) -> str:
    """The cache key of a file at the default branch: a BlobRecord, or None when it does not exist."""
    return f"blob:{path}"


def _store_blobs(cache: RunCache, project_id: int, node: Mapping[str, Any], asked: Wanted) -> None:
    repository = node.get("repository")
    if repository is None:
        return  # the token may not read the code
    found = repository.get("blobs")
    if not complete(found):
        return
    seen = {b["path"]: b for b in found["nodes"]}
    for path in asked.blob_paths:
        blob = seen.get(path)
        if blob is None:
            cache.put(project_id, blob_key(path), None)
            continue
        text = blob.get("rawTextBlob")
        data = text.encode() if isinstance(text, str) else None
        if data is None or len(data) != blob.get("size"):
            continue  # binary or cut short: the Files API's HEAD tells its hash
        sha256 = hashlib.sha256(data).hexdigest()
        keep = path in asked.blob_texts and asked.blob_texts[path] != sha256
        packed = zlib.compress(data) if keep else None
        cache.put(project_id, blob_key(path), BlobRecord(path, str(blob["oid"]), sha256, len(data), packed))


def blobs_selection(paths: str, first: int) -> str:
    """The `repository` selection for the files named by the GraphQL variable `paths` ("$blobPaths").
    `first` as small as the paths allow: a connection costs more complexity the larger its page."""
    return f"repository {{ blobs(paths: {paths}, first: {first}) {{ {PAGE} nodes {{ path oid size rawTextBlob }} }} }}"


BLOBS = Read(
    "blobs",
    blobs_selection("$blobPaths", 100),
    _store_blobs,
    needs_maintainer=False,
    variables={"blobPaths": "[String!]!"},
)
