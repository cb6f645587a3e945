/**
 * The frame of the kit's self-contained instructor pages (the class report, the similarity
 * report): one HTML file with its CSS inline, no script, and a Content-Security-Policy that
 * forbids every fetch, so the page shows the same from file://, a zip or a course site.
 * `title` is text (escaped here); `body` is HTML its caller escaped.
 */
import { escapeHtml } from "./feedback";

export function selfContainedPage(page: { lang: string; title: string; style: string; body: string }): string {
  return `<!DOCTYPE html>
<html lang="${escapeHtml(page.lang)}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>${page.style}</style>
</head>
<body>
${page.body}
</body>
</html>
`;
}
