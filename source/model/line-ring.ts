/**
 * A bounded ring of the last `capacity` items (log lines): push is O(1) and never allocates
 * once full; the oldest item is dropped to make room, and counted in `dropped`.
 */
export class LineRing<T> {
  readonly capacity: number;
  readonly #items: (T | undefined)[];
  /** Index of the oldest item. */
  #start = 0;
  #length = 0;
  #dropped = 0;

  /** Throws a RangeError unless `capacity` is a positive integer. */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`LineRing capacity must be a positive integer, not ${capacity}`);
    }
    this.capacity = capacity;
    this.#items = new Array<T | undefined>(capacity);
  }

  /** How many items it holds (at most `capacity`). */
  get length(): number {
    return this.#length;
  }

  /** How many items were dropped to make room since it was made (or cleared). */
  get dropped(): number {
    return this.#dropped;
  }

  /** Adds `item` as the newest, dropping the oldest when full. */
  push(item: T): void {
    if (this.#length < this.capacity) {
      this.#items[(this.#start + this.#length) % this.capacity] = item;
      this.#length++;
      return;
    }
    this.#items[this.#start] = item;
    this.#start = (this.#start + 1) % this.capacity;
    this.#dropped++;
  }

  /** The item at `index` (0 the oldest; negative counts from the newest), or undefined. */
  at(index: number): T | undefined {
    const position = index < 0 ? this.#length + index : index;
    if (!Number.isInteger(position) || position < 0 || position >= this.#length) {
      return undefined;
    }
    return this.#items[(this.#start + position) % this.capacity];
  }

  /** The items, oldest first, as a new array. */
  toArray(): T[] {
    const items: T[] = [];
    for (let index = 0; index < this.#length; index++) {
      items.push(this.#items[(this.#start + index) % this.capacity] as T);
    }
    return items;
  }

  /** Empties it and resets `dropped`. */
  clear(): void {
    this.#items.fill(undefined);
    this.#start = 0;
    this.#length = 0;
    this.#dropped = 0;
  }
}
