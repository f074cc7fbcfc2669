/**
 * Index of the quote that closes the JSON string opened at `open` in valid
 * JSON text. indexOf, not a loop over every character: most of an event's
 * text is string contents. A quote after an odd number of backslashes is
 * escaped, part of the string.
 */
export function closingQuote(text: string, open: number): number {
  let q = text.indexOf('"', open + 1);
  for (;;) {
    let k = q - 1;
    while (text.charCodeAt(k) === 0x5c /* \ */) k--;
    if ((q - 1 - k) % 2 === 0) return q;
    q = text.indexOf('"', q + 1);
  }
}
