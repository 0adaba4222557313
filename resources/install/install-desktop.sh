#!/bin/sh
# Put Treatment Desk in this user's application menu, with its icon (Linux desktops).
#
#   sh install-desktop.sh [PROGRAM]
#
# PROGRAM is the full path of what the menu starts: by default the bundle's treatment-desk beside
# this script (a bundle from `make bundle` carries this script), else `desk-app` on PATH. The icons
# are found beside this script's resources (a checkout) or inside the bundle. xdg-desktop-menu and
# xdg-icon-resource (package xdg-utils) are used when the PC has them, so the menu is refreshed at
# once; without them the files are copied where the freedesktop.org specifications say.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
name=treatment-desk
program=${1:-}
if [ -z "$program" ]; then
    if [ -x "$here/$name" ]; then
        program="$here/$name"
    else
        program=$(command -v desk-app) || { echo "No program given and no desk-app on PATH" >&2; exit 2; }
    fi
fi
case $program in
    /*) ;;
    *) program="$(pwd)/$program" ;;
esac
# The Exec key quotes the path (it may have spaces); a path with a character that the key would
# read as syntax ('"', '`', '$', '\', '%' or a new line) is refused rather than escaped.
newline='
'
case $program in
    *[\"\`\$\\%]* | *"$newline"*) echo "The path has a character a menu entry cannot carry: $program" >&2; exit 2 ;;
esac
[ -x "$program" ] || { echo "Not a program: $program" >&2; exit 2; }

for icons in "$here/../icons" "$here/_internal/desk_app/resources/icons"; do
    [ -f "$icons/$name-48.png" ] && break
done
[ -f "$icons/$name-48.png" ] || { echo "The icons are not beside $here" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
while IFS= read -r line; do
    case $line in
        Exec=*) printf 'Exec="%s"\n' "$program" ;;
        *) printf '%s\n' "$line" ;;
    esac
done < "$here/$name.desktop" > "$work/$name.desktop"

sizes="16 24 32 48 64 128 256"
data=${XDG_DATA_HOME:-$HOME/.local/share}
if command -v xdg-desktop-menu >/dev/null && command -v xdg-icon-resource >/dev/null; then
    for size in $sizes; do
        xdg-icon-resource install --noupdate --novendor --context apps --size "$size" "$icons/$name-$size.png" "$name"
    done
    xdg-icon-resource forceupdate
    xdg-desktop-menu install --novendor "$work/$name.desktop"
else
    for size in $sizes; do
        mkdir -p "$data/icons/hicolor/${size}x$size/apps"
        cp "$icons/$name-$size.png" "$data/icons/hicolor/${size}x$size/apps/$name.png"
    done
    mkdir -p "$data/icons/hicolor/scalable/apps" "$data/applications"
    cp "$icons/$name.svg" "$data/icons/hicolor/scalable/apps/$name.svg"
    cp "$work/$name.desktop" "$data/applications/$name.desktop"
    command -v update-desktop-database >/dev/null && update-desktop-database "$data/applications" || true
fi
echo "Treatment Desk is in the application menu; it starts $program"
