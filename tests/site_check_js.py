"""The JavaScript that ``site_check.check_page`` runs in a page: MathJax's state and its
output, the images, and the text a reader sees outside code."""

# Sphinx and myst mark each formula with class "math"; MathJax 2's own output reuses the
# class for its inner spans, so those (inside an output element) are not sources.
MATH_SOURCES_JS = """(output) => [...document.querySelectorAll('.math')]
    .filter(el => !el.parentElement || !el.parentElement.closest(output))"""

MATH_STATE_JS = f"""(output) => ({{
    math: ({MATH_SOURCES_JS})(output).length,
    loaders: [...document.scripts].map(s => s.src).filter(src => /mathjax/i.test(src)),
    defined: typeof window.MathJax,
}})"""

MATHJAX_LOADED_JS = """() => !!(window.MathJax && (
    (window.MathJax.Hub && window.MathJax.Hub.Queue) ||
    (window.MathJax.startup && window.MathJax.startup.promise)))"""

# Resolves once MathJax has typeset the page: version 3's startup promise, or a callback
# that version 2 runs after everything already in its queue (startup and the first Typeset).
MATHJAX_DONE_JS = """async (timeoutMs) => {
    const MJ = window.MathJax;
    const late = new Promise(r => setTimeout(() => r('timeout'), timeoutMs));
    const done = MJ.startup && MJ.startup.promise
        ? MJ.startup.promise.then(() => 'MathJax ' + MJ.version)
        : new Promise(r => MJ.Hub.Queue(() => r('MathJax ' + MJ.version)));
    return Promise.race([done, late]);
}"""

MATH_RESULT_JS = f"""([output, errors]) => {{
    const text = el => el.textContent.replace(/\\s+/g, ' ').trim().slice(0, 80);
    const sources = ({MATH_SOURCES_JS})(output);
    return {{
        outputs: document.querySelectorAll(output).length,
        sources: sources.length,
        untypeset: sources.filter(el => !el.querySelector(output)).map(text),
        errors: [...document.querySelectorAll(errors)].map(text),
    }};
}}"""

# Lazy images load when scrolled to: make them eager, scroll through the page, then wait
# (at most timeoutMs) for every image to finish, and report those without pixels.
IMAGES_JS = """async (timeoutMs) => {
    for (const img of document.images) if (img.loading === 'lazy') img.loading = 'eager';
    const frame = () => new Promise(r => requestAnimationFrame(r));
    for (let y = 0; y < document.documentElement.scrollHeight; y += innerHeight) {
        scrollTo(0, y);
        await frame();
    }
    scrollTo(0, 0);
    const settled = img => img.complete ? null : new Promise(r => {
        img.addEventListener('load', r, {once: true});
        img.addEventListener('error', r, {once: true});
    });
    await Promise.race([
        Promise.all([...document.images].map(settled)),
        new Promise(r => setTimeout(r, timeoutMs)),
    ]);
    const bad = [];
    for (const img of document.images) {
        const decoded = await img.decode().then(() => true, () => false);
        if (!img.complete || !decoded || !img.naturalWidth || !img.naturalHeight)
            bad.push(`${img.currentSrc || img.getAttribute('src') || img.outerHTML.slice(0, 120)}`
                + ` (${img.naturalWidth}x${img.naturalHeight}`
                + `${img.complete ? '' : ', incomplete'}${decoded ? '' : ', undecodable'})`);
    }
    return bad;
}"""

# The text a reader sees, without code: <pre>/<code> may hold a literal $.
VISIBLE_PROSE_JS = """() => {
    const style = document.createElement('style');
    style.textContent = 'pre, code, kbd, samp, .highlight { display: none !important; }';
    document.head.appendChild(style);
    try { return document.body.innerText; } finally { style.remove(); }
}"""
