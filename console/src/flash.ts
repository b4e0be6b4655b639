// A notice for the next page shown ("Saved.", "Deleted task x."), when an
// action ends by moving to another page.
let pending = "";

export const flash = {
  set(message: string) {
    pending = message;
  },
  take(): string {
    const message = pending;
    pending = "";
    return message;
  },
};
