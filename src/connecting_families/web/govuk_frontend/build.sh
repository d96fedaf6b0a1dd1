#!/bin/sh
# Rebuild the vendored GOV.UK Frontend in ../static/govuk/ (run by `make govuk-assets`, never
# by `make run` or `make test`: the result is committed, so there is no build step at run time).
#
# The package's published CSS uses the GDS Transport font, which only gov.uk may use, so the
# CSS is compiled once from the package's Sass with connecting-families.scss; the JavaScript is
# the package's own compiled file. Fonts and the crown images are left out on purpose.
set -eu
VERSION=6.3.0
SASS=1.97.3
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../static/govuk"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "govuk-frontend@$VERSION" >/dev/null
tar xzf "govuk-frontend-$VERSION.tgz"
npm install --silent --no-save --no-audit --no-fund "sass@$SASS"
./node_modules/.bin/sass --no-source-map --style=compressed \
  --load-path=package/dist "$here/connecting-families.scss" govuk-frontend.min.css
mkdir -p "$out"
cp govuk-frontend.min.css "$out/govuk-frontend.min.css"
cp package/dist/govuk/govuk-frontend.min.js "$out/govuk-frontend.min.js"
echo "GOV.UK Frontend $VERSION built with sass $SASS into $out"
