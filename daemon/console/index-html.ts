/**
 * The console's one HTML page, as a string module so dist/ is complete without copying assets. No
 * inline script or style (the CSP forbids both): the client starts from /console/main.js.
 */
export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>dew console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/console.css">
<script type="module" src="/console/main.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<div id="app"><main id="main" tabindex="-1"><p>Loading the dew console…</p></main></div>
<noscript><p>The dew console needs JavaScript. Everything it does is also in the <code>dew</code> command line.</p></noscript>
</body>
</html>
`;
