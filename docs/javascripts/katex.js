// Math on every page with KaTeX, shipped in docs/assets/katex (MIT licence there): nothing is fetched, so
// the site reads the same offline. It renders what pymdownx.arithmatex marks in the pages and the $...$
// that the notebooks' markdown cells are written with; code blocks are left alone.
document$.subscribe(({ body }) => {
  renderMathInElement(body, {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "\\[", right: "\\]", display: true },
      { left: "$", right: "$", display: false },
      { left: "\\(", right: "\\)", display: false },
    ],
    throwOnError: false,
  });
});
