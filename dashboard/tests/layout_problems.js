// What is wrong with the layout of the page as shown, as a list of sentences (empty when all is well):
// evaluated by dashboard/tests/test_responsive_browser.py in each page at each window width.
() => {
  const problems = [];
  const width = window.innerWidth;
  const describe = (el) => {
    const classes = typeof el.className === "string" && el.className.trim() ? "." + el.className.trim().split(/\s+/).join(".") : "";
    const text = (el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 50);
    return `<${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${classes}> "${text}"`;
  };
  const lineCount = (range, node, start, length) => {
    range.setStart(node, start);
    range.setEnd(node, start + length);
    return [...range.getClientRects()].filter((rect) => rect.width > 0).length;
  };

  // No page-level sideways scroll.
  const root = document.documentElement;
  if (root.scrollWidth > width) problems.push(`the page scrolls sideways: ${root.scrollWidth} px in a ${width} px window`);

  // Everything in the header inside the window.
  const header = document.querySelector("body > header");
  if (header) {
    for (const el of [header, ...header.querySelectorAll("*")]) {
      if (!el.checkVisibility()) continue;
      const box = el.getBoundingClientRect();
      if (box.width && (box.left < -0.5 || box.right > width + 0.5))
        problems.push(`the header's ${describe(el)} spans ${Math.round(box.left)}..${Math.round(box.right)} px`);
    }
  }

  // An open dialog inside the window.
  for (const dialog of document.querySelectorAll("dialog[open]")) {
    const box = dialog.getBoundingClientRect();
    if (box.left < -0.5 || box.right > width + 0.5) problems.push(`${describe(dialog)} spans ${Math.round(box.left)}..${Math.round(box.right)} px`);
  }

  // A table fits its box, or scrolls inside a box of its own that fits the window.
  const scroller = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (["auto", "scroll"].includes(getComputedStyle(up).overflowX)) return up;
    }
    return null;
  };
  for (const table of document.querySelectorAll("table")) {
    if (!table.checkVisibility()) continue;
    const box = scroller(table);
    const right = Math.round((box || table).getBoundingClientRect().right);
    if (right > width + 0.5) problems.push(`${describe(table)} is cut at the window's edge (${right} px)`);
    if (!box && table.getBoundingClientRect().width > table.parentElement.clientWidth + 0.5)
      problems.push(`${describe(table)} is wider than its box and does not scroll inside it`);
  }

  // No word broken over two lines.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const styled = new Set();
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || !node.data.trim() || ["SCRIPT", "STYLE", "TEXTAREA", "OPTION"].includes(parent.tagName)) continue;
    if (!parent.checkVisibility()) continue;
    const style = getComputedStyle(parent);
    if (!styled.has(parent) && (style.wordBreak === "break-all" || style.overflowWrap === "anywhere")) {
      styled.add(parent);
      problems.push(`${describe(parent)} may break any word (word-break: ${style.wordBreak}; overflow-wrap: ${style.overflowWrap})`);
    }
    // A word is a run of letters and digits: an identifier may end a line after a "-", "/" or ":", never inside a run.
    for (const word of node.data.matchAll(/[\p{L}\p{N}]{2,}/gu)) {
      const lines = lineCount(range, node, word.index, word[0].length);
      if (lines > 1) problems.push(`"${word[0]}" breaks over ${lines} lines in ${describe(parent)}`);
    }
    // In a table cell, a short name joined by hyphens (a date, a region, an id, a user name) is one word too.
    if (!parent.closest("td, th")) continue;
    for (const word of node.data.matchAll(/\S*-\S*/gu)) {
      if (word[0].length > 12) continue;
      const lines = lineCount(range, node, word.index, word[0].length);
      if (lines > 1) problems.push(`"${word[0]}" breaks over ${lines} lines in ${describe(parent)}`);
    }
  }
  return problems.slice(0, 20);
}
