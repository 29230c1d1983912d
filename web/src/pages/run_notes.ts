// run_notes.ts - the run page's description: the Markdown in the tag
// mlflow.note.content, rendered safely (markdown.ts), and its editor (Edit,
// Save with Ctrl+Enter, Cancel with Esc). It owns the text shown; a refresh
// of a running run hands it someone else's edit, taken unless ours is open.

import { api } from '../api';
import { renderMarkdown } from '../markdown';
import { errorBox, h } from '../util';

export const NOTE_TAG = 'mlflow.note.content';

export interface RunNotes {
  node: HTMLElement; // the section, owned by the caller once placed
  /** The description as a refresh read it: shown unless the editor is open. */
  external: (text: string) => void;
}

/** The description editor of run `runId`, showing `initial`. */
export function runNotesEditor(runId: string, initial: string): RunNotes {
  let text = initial;
  const shown = h('div', { class: 'markdown', id: 'run-notes' });
  const edit = h('button', { type: 'button', id: 'notes-edit' }, 'Edit');
  const area = h('textarea', { id: 'notes-editor', rows: 8, 'aria-label': 'Description (Markdown)', spellcheck: 'true' });
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save');
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const msg = h('div', {});
  const form = h('form', { class: 'notes-form', id: 'notes-form', hidden: true }, area,
    h('div', { class: 'notes-buttons' }, save, cancel, h('span', { class: 'muted' }, 'Markdown · Ctrl+Enter saves · Esc cancels')), msg);
  const show = () => {
    shown.replaceChildren(text.trim() ? renderMarkdown(text, 2) : h('p', { class: 'muted' }, 'No description.'));
  };
  const open = (on: boolean) => {
    form.hidden = !on;
    shown.hidden = on;
    edit.hidden = on;
    msg.replaceChildren();
    if (on) {
      area.value = text;
      area.focus();
    } else edit.focus();
  };
  edit.addEventListener('click', () => open(true));
  cancel.addEventListener('click', () => open(false));
  area.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      ev.preventDefault();
      open(false);
    } else if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    save.disabled = true;
    try {
      await api.setRunTag(runId, NOTE_TAG, area.value);
      text = area.value;
      show();
      open(false);
    } catch (e) {
      msg.replaceChildren(errorBox(e));
    } finally {
      save.disabled = false;
    }
  });
  show();
  return {
    node: h('section', { class: 'notes' }, h('div', { class: 'notes-head' }, h('h2', {}, 'Description'), edit), shown, form),
    // a refresh of a running run: take someone else's edit unless ours is open
    external: (t: string) => {
      if (t !== text && form.hidden) {
        text = t;
        show();
      }
    },
  };
}
