// The dashboard's charts, drawn by uPlot (the pinned npm package that scripts/build-admin.sh
// copies to vendor/). When this lhttpd was built without it, the page works on without
// charts and says what to run.

/** How many points each chart keeps: one a second, five minutes. */
export const WINDOW = 300;

/** Loads uPlot; `null` (and the page told why) when it was not built in. */
async function loadUPlot() {
  try {
    return (await import('/admin/vendor/uPlot.esm.js')).default;
  } catch {
    return null;
  }
}

/**
 * A chart of `series` (names) over time in `el`, or a no-op when uPlot is missing.
 * Returns `{push(t, values)}`: adds one point per series at time `t` (seconds).
 */
export async function chart(el, title, series, onMissing) {
  const uPlot = await loadUPlot();
  const data = [[], ...series.map(() => [])];
  if (!uPlot) {
    onMissing();
    return { push() {} };
  }
  const colors = ['#2a6fdb', '#d9822b', '#3a9d5d', '#b8406b'];
  const plot = new uPlot(
    {
      title,
      width: Math.max(320, el.clientWidth || 480),
      height: 220,
      series: [{}, ...series.map((label, i) => ({ label, stroke: colors[i % colors.length], width: 2 }))],
      axes: [{}, { size: 60 }],
    },
    data,
    el,
  );
  new ResizeObserver(() => plot.setSize({ width: Math.max(320, el.clientWidth), height: 220 })).observe(el);
  return {
    push(t, values) {
      data[0].push(t);
      values.forEach((v, i) => data[i + 1].push(v));
      if (data[0].length > WINDOW) data.forEach((d) => d.shift());
      plot.setData(data);
      // How many points are drawn, for a person's devtools and for the tests to wait on.
      el.dataset.points = data[0].length;
    },
  };
}
