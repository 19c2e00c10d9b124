/** The two message boxes under the buttons: an error (red) and a notice (blue: what the next press will do). */
import { byId } from './dom.js';

export interface Messages {
  /** Shows an error, or hides the box with null. */
  error(text: string | null): void;
  notice(text: string | null): void;
  /** The error box's text while shown, else null. */
  shown(): string | null;
}

export function createMessages(): Messages {
  const message = byId('message');
  const notice = byId('notice');
  return {
    error(text) {
      message.hidden = !text;
      message.textContent = text ?? '';
    },
    notice(text) {
      notice.hidden = !text;
      notice.textContent = text ?? '';
    },
    shown: () => (message.hidden ? null : message.textContent),
  };
}
