// Progressive enhancement for the Nocker Hub catalog: every page works without this file.
// - buttons with data-copy copy their text to the clipboard;
// - inputs with data-filter-table="ID" hide the rows of table ID that do not contain the typed text;
// - forms with data-confirm ask before they are sent.
document.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('button[data-copy]') : null;
  if (!button) return;
  const text = button.getAttribute('data-copy') || '';
  // Only the visible word changes, so the button's accessible name keeps naming what it copies.
  const state = button.querySelector('.copy-state') || button;
  const done = (label) => {
    const before = state.textContent;
    state.textContent = label;
    setTimeout(() => (state.textContent = before), 1200);
  };
  if (navigator.clipboard) navigator.clipboard.writeText(text).then(() => done('Copied'), () => done('Copy failed'));
  else done('Copy failed');
});

document.addEventListener('input', (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || !input.dataset.filterTable) return;
  const table = document.getElementById(input.dataset.filterTable);
  if (!table) return;
  const needle = input.value.trim().toLowerCase();
  for (const row of table.querySelectorAll('tbody tr')) {
    row.classList.toggle('hidden', needle !== '' && !row.textContent.toLowerCase().includes(needle));
  }
});

document.addEventListener('submit', (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
});
