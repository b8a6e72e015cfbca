// tinygrad_edu graph explorer: draws DATA (embedded by tinygrad_edu/viz/explorer.py) as SVG, with plain
// JavaScript and no library. Layout: collapsed groups become single nodes, longest-path layers top to
// bottom, nodes ordered within a layer by the barycentre of their parents, each group's nodes together.
"use strict";
(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const MAX_VISIBLE = 1500, W = 150, H = 34, GAP_X = 44, GAP_Y = 46;  // GAP_X: room for two boxes' padding
  const KIND = {parameter: "#cfe2f3", input: "#d9ead3", constant: "#eeeeee", op: "#fff2cc",
                output: "#f4cccc", group: "#e4d7f5"};
  const NONE = "#d0d0d0";  // colour of a node the mode has no value for
  const nodes = DATA.nodes, groups = DATA.groups, edges = DATA.edges;
  const expanded = new Set(DATA.expanded);
  const svg = document.getElementById("view"), tip = document.getElementById("tip");
  const status = document.getElementById("status"), legend = document.getElementById("legend");
  const colorSelect = document.getElementById("color"), search = document.getElementById("search");
  let view = {x: 0, y: 0, w: 800, h: 600}, current = null;

  // colour values of a group: the mean of its members' gradient logs, the largest member saturation
  for (const g of groups) { g.gradsum = 0; g.gradn = 0; g.sat = null; }
  for (const n of nodes) {
    for (let g = n.g; g !== null; g = groups[g].parent) {
      const grp = groups[g];
      if (n.gradlog !== undefined && n.gradlog !== null) { grp.gradsum += n.gradlog; grp.gradn += 1; }
      if (n.sat !== undefined) grp.sat = Math.max(grp.sat === null ? 0 : grp.sat, n.sat);
    }
  }
  const gradlogs = nodes.map(n => n.gradlog).filter(v => v !== undefined && v !== null);
  const gradMin = gradlogs.length ? Math.min(...gradlogs) : 0;
  const gradMax = gradlogs.length ? Math.max(...gradlogs) : 0;

  // the group each group shows as: itself when collapsed, null when it and all its ancestors are expanded
  function representatives() {
    const rep = new Array(groups.length).fill(null);
    for (let i = 1; i < groups.length; i++) {  // parents come before children
      const up = rep[groups[i].parent];
      rep[i] = up !== null ? up : (expanded.has(i) ? null : i);
    }
    return rep;
  }

  // the visible graph: items ("t3" a tensor, "g5" a collapsed group), their order, and edges between them
  function visibleGraph() {
    const rep = representatives(), items = new Map(), key = new Array(nodes.length);
    for (const n of nodes) {
      const r = rep[n.g];
      const k = r === null ? "t" + n.i : "g" + r;
      key[n.i] = k;
      if (!items.has(k)) items.set(k, {key: k, node: r === null ? n : null, group: r === null ? null : groups[r],
                                        order: n.i, members: []});
      items.get(k).members.push(n);
    }
    const seen = new Set(), links = [];
    for (const [s, d] of edges) {
      const a = key[s], b = key[d], id = a + ">" + b;
      if (a === b || seen.has(id)) continue;
      seen.add(id);
      links.push({u: items.get(a), v: items.get(b)});
    }
    const list = topological(Array.from(items.values()), links);
    list.forEach((it, i) => { it.rank = i; it.parents = []; it.children = []; });
    for (const l of links) {
      l.back = l.u.rank > l.v.rank;
      if (!l.back) { l.v.parents.push(l.u); l.u.children.push(l.v); }
    }
    return {list: list, links: links, key: key};
  }

  // the items in an order where every link points forward (Kahn's algorithm, ties by the order the ops
  // were recorded in); a collapsed group can close a cycle (a value it makes feeds one it takes in), and
  // then the earliest recorded item left goes next, its incoming links drawn as back edges
  function topological(items, links) {
    const waiting = new Map(items.map(it => [it, 0])), out = new Map(items.map(it => [it, []]));
    for (const l of links) { waiting.set(l.v, waiting.get(l.v) + 1); out.get(l.u).push(l.v); }
    const byOrder = items.slice().sort((a, b) => a.order - b.order), done = new Set(), list = [];
    let ready = byOrder.filter(it => waiting.get(it) === 0), next = 0;
    while (list.length < items.length) {
      if (!ready.length) {  // a cycle: release the earliest item not yet placed
        while (done.has(byOrder[next])) next++;
        ready = [byOrder[next]];
      }
      ready.sort((a, b) => a.order - b.order);
      const it = ready.shift();
      if (done.has(it)) continue;
      done.add(it);
      list.push(it);
      for (const v of out.get(it)) {
        waiting.set(v, waiting.get(v) - 1);
        if (waiting.get(v) === 0 && !done.has(v)) ready.push(v);
      }
    }
    return list;
  }

  function layout(g) {
    const layers = [];
    for (const it of g.list) {  // sorted topologically: every forward parent is placed first
      it.layer = it.parents.reduce((m, p) => Math.max(m, p.layer + 1), 0);
    }
    for (const it of g.list) {  // a source (parameter, input) sits just above its first consumer
      if (!it.parents.length && it.children.length) {
        it.layer = Math.max(0, Math.min(...it.children.map(c => c.layer)) - 1);
      }
      (layers[it.layer] = layers[it.layer] || []).push(it);
    }
    for (let i = 0; i < layers.length; i++) layers[i] = layers[i] || [];
    for (const it of g.list) it.chain = boxChain(it);
    let widest = 0;
    layers.forEach((layer, i) => {
      for (const it of layer) {
        it.bary = it.parents.length ? it.parents.reduce((s, p) => s + p.pos, 0) / it.parents.length : it.rank;
      }
      layers[i] = nested(layer, 0);
      layers[i].forEach((it, j) => { it.pos = j; });
      widest = Math.max(widest, layer.length);
    });
    for (const layer of layers) {
      const offset = (widest - layer.length) * (W + GAP_X) / 2;
      for (const it of layer) { it.x = offset + it.pos * (W + GAP_X); it.y = it.layer * (H + GAP_Y) + 40; }
    }
    return {width: widest * (W + GAP_X), height: layers.length * (H + GAP_Y) + 30};
  }

  // the expanded groups an item is drawn inside, outermost first (the model itself, group 0, draws no box)
  function boxChain(it) {
    const chain = [];
    for (let gi = it.group ? it.group.parent : it.node.g; gi !== null && gi !== 0; gi = groups[gi].parent) {
      chain.unshift(gi);
    }
    return chain;
  }

  // a layer's items by barycentre, but each group's items side by side (and so, inside it, each subgroup's):
  // the groups' boxes then hold their own nodes only and do not cut across one another
  function nested(items, depth) {
    const parts = new Map();
    for (const it of items) {
      const k = depth < it.chain.length ? "g" + it.chain[depth] : "i" + it.key;
      if (!parts.has(k)) parts.set(k, []);
      parts.get(k).push(it);
    }
    const mean = part => part.reduce((s, it) => s + it.bary, 0) / part.length;
    return Array.from(parts.entries()).sort((a, b) => mean(a[1]) - mean(b[1])).flatMap(
      ([k, part]) => (k[0] === "g" ? nested(part, depth + 1) : part));
  }

  // a name that does not fit a node keeps its end (the parameter's own name), an ellipsis marking the cut
  function clip(name, n) { return name.length > n ? "\u2026" + name.slice(1 - n) : name; }

  function el(tag, attrs, parent) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  function shapeText(s) { return s.length ? s.join("\u00d7") : "scalar"; }
  function statText(label, s) {
    if (!s || !s.n) return label + ": (empty)";
    if (s.values) return label + ": [" + s.values.join(", ") + "]";
    return label + ": min " + s.min + "  mean " + s.mean + "  max " + s.max + "  std " + s.std;
  }
  function tipText(it) {
    if (it.group) {
      const g = it.group;
      return (g.chunk ? g.label + " of " + (g.name || "(graph)") : g.name + " (" + g.cls + ")") +
        "\n" + it.members.length + " tensors" + (g.params ? ", " + g.params + " parameters" : "") +
        "\nclick to expand";
    }
    const n = it.node;
    const lines = [n.name, n.op ? "op: " + n.op + (n.kind === "output" ? "  (output)" : "") : "leaf: " + n.kind,
                   "shape " + shapeText(n.shape) + "  dtype " + n.dtype, statText("value", n.stats)];
    if (n.grad) lines.push(statText("grad", n.grad));
    if (n.sat !== undefined) lines.push("saturated (|v| > 0.97): " + (100 * n.sat).toFixed(1) + "%");
    const g = groups[n.g];
    if (g.name) lines.push("module " + g.name);
    return lines.join("\n");
  }

  function ramp(t) {  // 0..1 -> dark blue .. yellow (viridis-like)
    const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
    const x = Math.min(Math.max(t, 0), 1) * (stops.length - 1), i = Math.min(Math.floor(x), stops.length - 2);
    const f = x - i, c = stops[i].map((v, k) => Math.round(v + f * (stops[i + 1][k] - v)));
    return "rgb(" + c.join(",") + ")";
  }
  function fill(it) {
    const mode = colorSelect.value;
    if (mode === "kind") return it.group ? KIND.group : KIND[it.node.kind];
    if (mode === "grad") {
      const v = it.group ? (it.group.gradn ? it.group.gradsum / it.group.gradn : null) : it.node.gradlog;
      if (v === undefined || v === null) return NONE;
      return ramp(gradMax > gradMin ? (v - gradMin) / (gradMax - gradMin) : 0.5);
    }
    const s = it.group ? it.group.sat : it.node.sat;
    if (s === undefined || s === null) return NONE;
    const c = Math.round(240 * (1 - s));
    return "rgb(255," + c + "," + c + ")";
  }
  function dark(colour) {  // "rgb(r,g,b)" too dark for black text
    const c = /rgb\((\d+),(\d+),(\d+)\)/.exec(colour);
    return c !== null && 0.299 * c[1] + 0.587 * c[2] + 0.114 * c[3] < 128;
  }
  function drawLegend() {
    const mode = colorSelect.value;
    if (mode === "kind") {
      legend.innerHTML = Object.keys(KIND).map(k =>
        '<span style="background:' + KIND[k] + ';border:1px solid #999;padding:0 4px">' + k + "</span>").join(" ");
    } else if (mode === "grad") {
      const bar = [0, 0.25, 0.5, 0.75, 1].map(ramp).join(",");
      legend.innerHTML = gradlogs.length
        ? "log10 mean|grad| " + gradMin + ' <span style="display:inline-block;width:120px;height:12px;' +
          "background:linear-gradient(to right," + bar + ')"></span> ' + gradMax + " (grey: no .grad)"
        : "no gradients (call backward first)";
    } else {
      legend.innerHTML = 'saturated fraction 0 <span style="display:inline-block;width:120px;height:12px;' +
        'background:linear-gradient(to right,#fff0f0,#f00)"></span> 1 (grey: not a tanh / sigmoid output)';
    }
  }

  function matches(it, q) {
    if (!q) return false;
    if (it.group && !it.group.chunk && it.group.name.toLowerCase().includes(q)) return true;
    return it.members.some(n => n.kind === "parameter" && n.name.toLowerCase().includes(q) ||
                                groups[n.g].name.toLowerCase().includes(q));
  }

  function render() {
    const g = visibleGraph(), size = layout(g);
    current = g;
    svg.innerHTML = "";
    tip.style.display = "none";
    const root = el("g", {}, svg);
    const q = search.value.trim().toLowerCase();
    // expanded groups: a dashed box around their visible members, its label collapses the group
    const boxes = new Map();
    for (const it of g.list) {
      const start = it.group ? it.group.parent : it.node.g;
      for (let gi = start; gi !== null && gi !== 0; gi = groups[gi].parent) {
        const b = boxes.get(gi) || {x0: 1e9, y0: 1e9, x1: -1e9, y1: -1e9};
        b.x0 = Math.min(b.x0, it.x); b.y0 = Math.min(b.y0, it.y);
        b.x1 = Math.max(b.x1, it.x + W); b.y1 = Math.max(b.y1, it.y + H);
        boxes.set(gi, b);
      }
    }
    // a box's margin grows with the boxes nested inside it (its height in the tree of boxes), so an outer
    // box goes around its inner ones and leaf boxes stay tight: more in y, where their labels stack
    const nesting = new Map();
    for (const gi of Array.from(boxes.keys()).sort((a, b) => groups[b].depth - groups[a].depth)) {
      const h = nesting.get(gi) || 0, up = groups[gi].parent;
      nesting.set(gi, h);
      if (boxes.has(up)) nesting.set(up, Math.max(nesting.get(up) || 0, h + 1));
    }
    for (const [gi, b] of boxes) {
      const out = nesting.get(gi), pad = 4 + 6 * out, top = 4 + 14 * out, grp = groups[gi];
      const rect = el("rect", {x: b.x0 - pad, y: b.y0 - top - 12, width: b.x1 - b.x0 + 2 * pad,
                               height: b.y1 - b.y0 + top + pad + 12, rx: 6, "class": "box", "data-group": gi}, root);
      if (q && !grp.chunk && grp.name.toLowerCase().includes(q)) rect.classList.add("match");
      const label = el("text", {x: b.x0 - pad + 4, y: b.y0 - top, "class": "boxlabel", "data-group": gi}, root);
      label.textContent = "\u25be " + (grp.chunk ? grp.label : grp.name + " (" + grp.cls + ")");
      label.addEventListener("click", () => { expanded.delete(gi); render(); });
    }
    for (const l of g.links) {
      const x1 = l.u.x + W / 2, y1 = l.u.y + H, x2 = l.v.x + W / 2, y2 = l.v.y, my = (y1 + y2) / 2;
      el("path", {d: "M" + x1 + "," + y1 + " C" + x1 + "," + my + " " + x2 + "," + my + " " + x2 + "," + y2,
                  "class": l.back ? "edge back" : "edge", "marker-end": "url(#arrow)"}, root);
    }
    for (const it of g.list) {
      const node = el("g", {"class": "node", transform: "translate(" + it.x + "," + it.y + ")",
                            "data-key": it.key}, root);
      if (matches(it, q)) node.classList.add("match");
      const colour = fill(it), light = dark(colour) ? "#fff" : "#000";
      el("rect", {width: W, height: H, rx: it.group ? 10 : 3, fill: colour}, node);
      const t1 = el("text", {x: W / 2, y: 14, "text-anchor": "middle", fill: light}, node);
      const t2 = el("text", {x: W / 2, y: 28, "text-anchor": "middle", "font-size": 11, fill: light}, node);
      if (it.group) {
        t1.textContent = "\u25b8 " + clip(it.group.chunk ? it.group.label : it.group.name, 20);
        t2.textContent = it.members.length + " nodes";
        node.addEventListener("click", () => expand(it.group));
      } else {
        t1.textContent = clip(it.node.name, 22);
        t2.textContent = shapeText(it.node.shape) + " " + it.node.dtype;
      }
      node.addEventListener("mousemove", e => {
        tip.textContent = tipText(it);
        tip.style.display = "block";
        tip.style.left = (e.clientX + 12) + "px";
        tip.style.top = (e.clientY + 12) + "px";
      });
      node.addEventListener("mouseleave", () => { tip.style.display = "none"; });
    }
    const defs = el("defs", {}, svg);
    const marker = el("marker", {id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 6,
                                 markerHeight: 6, orient: "auto"}, defs);
    el("path", {d: "M0,0 L10,5 L0,10 z", fill: "#888"}, marker);
    svg.dataset.visible = g.list.length;
    status.textContent = g.list.length + " of " + nodes.length + " nodes shown";
    fit(size);
    drawLegend();
  }

  function expand(group) {
    const id = groups.indexOf(group);
    const grown = current.list.length - 1 + new Set(visibleAfter(id)).size;
    if (grown > MAX_VISIBLE) {
      status.textContent = "expanding " + (group.name || group.label) + " would show " + grown +
        " nodes (limit " + MAX_VISIBLE + "): collapse something first";
      return;
    }
    expanded.add(id);
    render();
  }
  function visibleAfter(id) {  // the items the group's members would show as once it is expanded
    expanded.add(id);
    const rep = representatives();
    expanded.delete(id);
    return current.list.find(it => it.group === groups[id]).members.map(n => rep[n.g] === null ? "t" + n.i
                                                                                            : "g" + rep[n.g]);
  }

  function fit(size) {  // the whole graph if it is readable so, else its top at a readable zoom (then pan)
    const box = svg.getBoundingClientRect(), bw = box.width || 800, bh = box.height || 600;
    const w = size.width + 40, h = size.height + 20;
    const k = Math.max(Math.min(bw / w, bh / h, 1.5), 0.7);
    view = {w: bw / k, h: bh / k, y: -10};
    view.x = (size.width - view.w) / 2;
    setView();
  }
  function setView() { svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].join(" ")); }

  svg.addEventListener("wheel", e => {  // zoom about the pointer
    e.preventDefault();
    const box = svg.getBoundingClientRect(), k = e.deltaY > 0 ? 1.15 : 1 / 1.15;
    const px = view.x + (e.clientX - box.left) / box.width * view.w;
    const py = view.y + (e.clientY - box.top) / box.height * view.h;
    view = {x: px - (px - view.x) * k, y: py - (py - view.y) * k, w: view.w * k, h: view.h * k};
    setView();
  }, {passive: false});
  let drag = null;  // pan by dragging the background
  svg.addEventListener("mousedown", e => { drag = {x: e.clientX, y: e.clientY, view: Object.assign({}, view)}; });
  window.addEventListener("mouseup", () => { drag = null; });
  window.addEventListener("mousemove", e => {
    if (!drag) return;
    const box = svg.getBoundingClientRect();
    view.x = drag.view.x - (e.clientX - drag.x) / box.width * view.w;
    view.y = drag.view.y - (e.clientY - drag.y) / box.height * view.h;
    setView();
  });
  colorSelect.addEventListener("change", render);
  search.addEventListener("input", render);
  render();
})();
