"""Web addresses: the url a row's cell sends, or what is wrong with it, and the kind of input its extension names.

A url is sent as a browser would fetch it: a page's share link as its file's own
link, spaces written %20, https:// before an address without it. Pure functions;
nothing here does I/O.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import get_close_matches
from urllib.parse import parse_qs, urlsplit

from .errors import char_name

EXTENSION_KINDS = {
    **dict.fromkeys((".mp4", ".mov", ".avi", ".webm", ".mkv", ".m4v", ".mpeg", ".mpg", ".3gp"), "video"),
    **dict.fromkeys((".mp3", ".wav", ".flac", ".ogg", ".m4a", ".aac", ".opus", ".wma"), "audio"),
    **dict.fromkeys((".txt", ".md"), "text"),
}
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".jfif", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".heic")
MEDIA_EXTENSIONS = frozenset(IMAGE_EXTENSIONS) | frozenset(EXTENSION_KINDS)
MAX_URL_CHARS = 8192  # web servers refuse longer request lines (nginx and Apache stop near 8 KB)
_LABEL_STUDIO_PATHS = ("/data/upload/", "/data/local-files/")  # where Label Studio serves the images it holds
_BEFORE_ANOTHER_URL = re.compile(r"[\s|,;]+(?=https?://)", re.IGNORECASE)  # urls listed in one cell
_HOST = re.compile(r"(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?::[0-9]+)?")  # a web address's, as it starts one
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:")  # of two letters or more: C: is a drive
_SCHEME_AND_SITE = re.compile(r"[^:/?#]*://[^/?#]*")  # a url's start, up to its path, query or fragment
# http(s), a plain host name and printable ASCII: every check in checked_url passes it.
_PLAIN_URL = re.compile(r"(?i:https?)://([A-Za-z0-9._~-]+)(?::[0-9]*)?(?:[/?#][!-~]*)?")
# Hosts whose share links open a page whose file's own link cannot be derived from it (see _share_link)
_PAGE_ONLY_HOSTS = {"1drv.ms": "OneDrive", "onedrive.live.com": "OneDrive", "app.box.com": "Box",
                    "www.icloud.com": "iCloud", "share.icloud.com": "iCloud", "photos.app.goo.gl": "Google Photos",
                    "photos.google.com": "Google Photos"}
_OWN_LINKS = "give each file's own link"
_GOOGLE_DOCUMENTS = {  # path -> what it is, and what to do
    "/spreadsheets/": ("a Google Sheets spreadsheet", "if it is your list, download it (File > Download > "
                       f"Comma-separated values) and choose that file; otherwise {_OWN_LINKS}"),
    "/document/": ("a Google Docs document", _OWN_LINKS),
    "/presentation/": ("a Google Slides presentation", _OWN_LINKS),
    "/forms/": ("a Google Form", _OWN_LINKS)}
_DROPBOX_FOLDERS = ("/sh/", "/scl/fo/")  # Dropbox's folder links, older and newer
_FILE_PATHS = ("/download", "/embed", "/shared/static/")  # OneDrive's and Box's links to the file itself
# Hosts whose share links open a page that shows the file rather than the file itself: see _share_link
_SHARE_HOSTS = frozenset({"drive.google.com", "docs.google.com", "www.dropbox.com", "dropbox.com", "github.com",
                          "huggingface.co", *_PAGE_ONLY_HOSTS})
_DRIVE_FILE_ID = re.compile(r"/file/d/([A-Za-z0-9_-]+)")
_REPOSITORY_FOLDER = re.compile(r"(?:/datasets|/spaces)?/[^/]+/[^/]+/tree/")  # GitHub's and Hugging Face's
_DRIVE_FILE_LINK = "https://drive.google.com/uc?export=download&id="  # then a shared file's id
# The path's last ".ext" (a dot after some name, before any ? or # and at the path's end)
_EXTENSION = re.compile(r"[^?#]*[^/?#](\.\w+)(?=[?#]|\Z)")


def kind_of_url(url: str) -> str:
    """Video, audio or text by the extension of the url's last path segment; image otherwise."""
    extension = _EXTENSION.match(url)
    return EXTENSION_KINDS.get(extension[1].lower(), "image") if extension else "image"


_BUCKET_HINTS = {  # a cloud bucket's object, named as its own tools name it: the https address it has when public
    "s3": "if the bucket lets anyone read it, give the object's web address: https://{bucket}.s3.amazonaws.com{key}",
    "gs": "if the bucket lets anyone read it, give the object's web address: "
          "https://storage.googleapis.com/{bucket}{key}",
}


def checked_url(url: str) -> tuple[str, str, str]:
    """(the url to send, "", ""), or ("", what is wrong with it, how to fix it). The url to send is the url; for a
    link that opens a page showing the file, the link to the file itself (see `_share_link`); with spaces in its
    path or query, the url with each written %20, as a browser sends it; without a scheme (www.example.com/a.jpg,
    //example.com/a.jpg), with https:// before it, as a browser fetches it."""
    full_address = "write a full web address such as https://example.com/cat.jpg"
    if url.find("://", 8) != -1 and len(parts := _BEFORE_ANOTHER_URL.split(url)) > 1:  # the usual url: a quick no
        return "", f"this cell holds {len(parts)} web addresses; a row is one image", (
            "give each image a row of its own, with its own web address")
    if len(url) > MAX_URL_CHARS:
        return "", f"the url is {len(url):,} characters long (at most {MAX_URL_CHARS:,})", (
            "check this cell for text pasted into it; a web address is rarely over a few hundred characters")
    if plain := _PLAIN_URL.fullmatch(url):  # the usual url, settled without urlsplit and a look at every character
        return _share_link(url) if plain[1].lower() in _SHARE_HOSTS else (url, "", "")
    if url.startswith(_LABEL_STUDIO_PATHS):
        return "", "this is an image Label Studio keeps itself, not a web address", (
            "export the project as COCO or YOLO with its images and upload that zip, or point its tasks at web "
            "addresses (such as a public bucket's https:// urls)")
    if _names_a_file(url) or url[:7].lower() == "file://":
        return "", "this is a file's name, not a web address", (
            "to upload files from your computer, upload this list together with them: the folder or zip that holds "
            "both, or both chosen under 'Files from my computer' on the page")
    if " " in url:  # before the scheme: "https ://x" should not read as having no scheme
        return _spaced(url)
    hidden = next((ch for ch in url if unicodedata.category(ch)[0] in "CZ"), None)
    if hidden is not None:
        return "", f"the url contains the invisible character U+{ord(hidden):04X} ({char_name(hidden)})", (
            "delete it: retype the url, or save the file again as 'CSV UTF-8'")
    if bare_web_address(url):  # www.example.com/a.jpg (example.com:8080/a.jpg reads as scheme example.com)
        return checked_url(f"https://{url.removeprefix('//')}")  # fetched as a browser does
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as error:
        return "", f"the url cannot be read ({error})", full_address
    if not parts.scheme:
        return "", "the url does not start with https:// (or http://), so it is not a full web address", full_address
    if parts.scheme.lower() not in ("http", "https"):
        if get_close_matches(parts.scheme.lower(), ("https", "http"), cutoff=0.75):  # htp:, htps:, hhttps:
            return "", f"the url starts with '{parts.scheme}:', not http:// or https://", (
                "correct its start to https:// (or http://)")
        return "", f"the url starts with '{parts.scheme}:'; only http:// and https:// addresses can be fetched", (
            _BUCKET_HINTS.get(parts.scheme.lower(), "put the image where the web can reach it (a site or a public "
                              "bucket) and use its https:// address").format(bucket=parts.netloc, key=parts.path))
    if host in _SHARE_HOSTS:
        return _share_link(url)
    if not host:
        if not url[len(parts.scheme) + 1:].startswith("//"):  # https:/example.com, https:example.com
            return "", "the url has no host name", (
                f"write two slashes after '{parts.scheme}:', as in https://example.com/cat.jpg")
        return "", "the url has no host name", full_address
    return url, "", ""


def is_web_address(text: str) -> bool:
    """Whether `text` starts as a web address that can be fetched: http:// or https://, in any case."""
    return text[:8].lower().startswith(("http://", "https://"))


def written_web_address(text: str) -> bool:
    """Whether `text` is a web address, with its scheme or without it (see `bare_web_address`)."""
    return is_web_address(text) or bare_web_address(text)


def bare_web_address(text: str) -> bool:
    """Whether `text` is a web address written without its scheme (www.example.com/a.jpg, //example.com/a.jpg), which
    `checked_url` sends with https:// before it."""
    site, slash, _ = text.removeprefix("//").partition("/")
    return bool(slash) and _HOST.fullmatch(site) is not None


def url_sent(cell: str) -> str:
    """The url a row whose url cell is `cell` sends (see `checked_url`), or the cell itself when it sends none: what
    a box that names its input by url names."""
    sent, problem, _ = checked_url(cell)
    return cell if problem else sent


# How a url sent changed (see `url_change`) was changed
SCHEME_ADDED, SPACES_WRITTEN, FILE_LINK = "scheme added", "spaces written", "file link"


def url_change(given_url: str) -> str:
    """How a url sent changed (a record's `given_url`) was changed: https:// put before it, its spaces written %20,
    or a page's link sent as its file's (see `checked_url`); the first that applies."""
    if not is_web_address(given_url):
        return SCHEME_ADDED
    return SPACES_WRITTEN if " " in given_url else FILE_LINK


def _spaced(url: str) -> tuple[str, str, str]:
    """A url with spaces as `checked_url` has it: spaces after its site's name are written %20 (and the url is
    checked so), before it they are a problem."""
    site = _SCHEME_AND_SITE.match(url)
    if not site or site.end() < url.index(" "):  # no scheme: checked as sent (https:// may come first)
        return checked_url(url.replace(" ", "%20"))
    return "", "the url has a space in its site's name or its start", (
        "remove it: a web address may hold spaces only after its site's name, as in https://example.com/my cat.jpg")


def _share_link(url: str) -> tuple[str, str, str]:
    """A Google Drive, Dropbox, GitHub or Hugging Face link as `checked_url` has it. A link that opens a page
    showing the file (Drive's /file/d/ID/view, Dropbox's dl=0, a repository's /blob/) gives the link to the file
    itself, which the server can fetch when anyone with the link may open it; a folder's, or a Drive page naming
    no file, is a problem, as is a OneDrive, Box or iCloud page's link: their files' own links are not in them."""
    parts = urlsplit(url)
    if service := _PAGE_ONLY_HOSTS.get(parts.hostname or ""):
        if parts.path.startswith(_FILE_PATHS):
            return url, "", ""
        return "", f"this link opens the file's page on {service}, not the file itself", (
            "the server cannot fetch the file from it: download the files and upload them with this list (the folder "
            "or zip that holds both, or both chosen under 'Files from my computer' on the page), or give links that "
            "open each file itself")
    if parts.hostname == "docs.google.com":  # its /uc?export=download&id= links are files: Drive's older form
        document = next((found for path, found in _GOOGLE_DOCUMENTS.items() if parts.path.startswith(path)), None)
        if document is None:
            return url, "", ""
        what, hint = document
        return "", f"this is {what}, not an image or other file to upload", hint
    query = parse_qs(parts.query)
    if parts.hostname in ("github.com", "huggingface.co"):
        owner_repo, blob, path = parts.path.partition("/blob/")
        if _REPOSITORY_FOLDER.match(parts.path):
            return "", "this is a folder of a repository, not a file", (
                "give each file a row of its own, with its own link")
        if not blob or query.get("raw") == ["true"]:
            return url, "", ""
        if parts.hostname == "huggingface.co":
            return url.replace("/blob/", "/resolve/", 1), "", ""
        return f"https://raw.githubusercontent.com{owner_repo}/{path}", "", ""
    if parts.hostname == "drive.google.com":
        if parts.path in ("/uc", "/thumbnail"):
            return url, "", ""
        if parts.path.startswith("/drive/folders/"):
            return "", "this is a Google Drive folder, not a file", (
                f"give each file a row of its own, with its own link ({_DRIVE_FILE_LINK}... for a shared file)")
        found = _DRIVE_FILE_ID.match(parts.path)
        file_id = found[1] if found else query.get("id", [""])[0]
        if not file_id:
            return "", "this is a Google Drive page, not a file", (
                f"share each file with 'Anyone with the link' and write {_DRIVE_FILE_LINK} followed by its id")
        return _DRIVE_FILE_LINK + file_id, "", ""
    if parts.path.startswith(_DROPBOX_FOLDERS):  # dl=1 would fetch the folder as a zip
        return "", "this is a Dropbox folder, not a file", "give each file a row of its own, with its own link"
    if query.get("dl") == ["1"] or query.get("raw") == ["1"]:
        return url, "", ""
    if query.get("dl"):
        return re.sub(r"([?&])dl=0(?=&|$)", r"\1dl=1", url), "", ""
    return f"{url}{'&' if parts.query else '?'}dl=1", "", ""


def _names_a_file(url: str) -> bool:
    """Whether a url cell holds a file's name or path (cat.jpg, images/cat.jpg, C:\\photos\\cat.jpg) rather than
    a web address (example.com/cat.jpg lacks only its scheme)."""
    extension = _EXTENSION.match(url)
    if "://" in url or url.startswith("//") or not extension or extension[1].lower() not in MEDIA_EXTENSIONS:
        return False
    if _SCHEME.match(url):  # https:/example.com/cat.jpg: a web address, mistyped
        return False
    first, slash, _ = url.replace("\\", "/").partition("/")
    return not (slash and _HOST.fullmatch(first))
