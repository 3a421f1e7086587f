import {
  useCallback,
  useEffect,
  useId,
  useLayoutEffect,
  useRef,
  useState,
  type KeyboardEvent,
  type ReactNode,
  type SyntheticEvent,
} from 'react';
import { createPortal } from 'react-dom';

export interface MenuItem {
  key: string;
  label: ReactNode;
  onSelect(): void;
  /** Starts a new group, drawn with a line above it. */
  groupStart?: boolean;
}

const menuWidthPx = 220;
const marginPx = 8;

/**
 * A button that opens a menu of actions (the ARIA menu pattern): arrow keys move between the
 * items, Escape closes it and gives focus back. The menu is drawn above the page (a portal with
 * a fixed position), so a scrolling board column never clips it.
 */
export function MenuButton({
  label,
  title,
  className,
  children,
  items,
  heading,
}: {
  /** The button's accessible name, e.g. "Move OPS-3 to…". */
  label: string;
  title?: string;
  className?: string;
  children: ReactNode;
  items: MenuItem[];
  /** A line at the top of the menu saying what it does. */
  heading?: string;
}) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [place, setPlace] = useState({ top: 0, left: 0 });
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);

  /** Puts the menu under its button (above it when there is no room below); false when the button is out of sight. */
  const placeMenu = useCallback((): boolean => {
    if (!button.current || !menu.current) return false;
    const anchor = button.current.getBoundingClientRect();
    if (anchor.bottom < 0 || anchor.top > window.innerHeight) return false;
    const height = menu.current.offsetHeight;
    const left = Math.min(Math.max(marginPx, anchor.right - menuWidthPx), window.innerWidth - menuWidthPx - marginPx);
    const below = anchor.bottom + 4;
    const top = below + height > window.innerHeight - marginPx ? Math.max(marginPx, anchor.top - 4 - height) : below;
    setPlace({ top, left: Math.max(marginPx, left) });
    return true;
  }, []);

  useLayoutEffect(() => {
    if (!open || !placeMenu()) return;
    // No scrolling for the focus: the menu is placed already, and a scroll would move it.
    menu.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus({ preventScroll: true });
  }, [open, placeMenu]);

  useEffect(() => {
    if (!open) return;
    const outside = (event: Event) => {
      const target = event.target as Node;
      if (!menu.current?.contains(target) && !button.current?.contains(target)) setOpen(false);
    };
    // The menu follows its button as the page or a column scrolls, and closes once the button is gone from sight.
    const follow = (event: Event) => {
      if (!menu.current?.contains(event.target as Node) && !placeMenu()) setOpen(false);
    };
    document.addEventListener('pointerdown', outside);
    window.addEventListener('scroll', follow, true);
    window.addEventListener('resize', follow);
    return () => {
      document.removeEventListener('pointerdown', outside);
      window.removeEventListener('scroll', follow, true);
      window.removeEventListener('resize', follow);
    };
  }, [open, placeMenu]);

  const close = (focusButton: boolean) => {
    setOpen(false);
    if (focusButton) button.current?.focus();
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    event.stopPropagation();
    const entries = [...(menu.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
    const at = entries.indexOf(document.activeElement as HTMLElement);
    const focus = (i: number) => entries[(i + entries.length) % entries.length]?.focus();
    if (event.key === 'ArrowDown') focus(at + 1);
    else if (event.key === 'ArrowUp') focus(at - 1);
    else if (event.key === 'Home') focus(0);
    else if (event.key === 'End') focus(entries.length - 1);
    else if (event.key === 'Escape') close(true);
    else if (event.key === 'Tab') close(false);
    else return;
    if (event.key !== 'Tab') event.preventDefault();
  };
  // Keeps the card's drag sensors out of clicks in the menu (a portal still bubbles through React).
  const stop = (event: SyntheticEvent) => event.stopPropagation();

  return (
    <>
      <button
        ref={button}
        type="button"
        className={className}
        aria-label={label}
        title={title}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        onClick={() => setOpen((was) => !was)}
      >
        {children}
      </button>
      {open &&
        createPortal(
          <div
            ref={menu}
            id={id}
            role="menu"
            aria-label={label}
            className="menu"
            style={place}
            onKeyDown={onKeyDown}
            onMouseDown={stop}
            onTouchStart={stop}
            onPointerDown={stop}
          >
            {heading && (
              <div className="menu-heading" aria-hidden="true">
                {heading}
              </div>
            )}
            {items.map((item) => (
              <button
                key={item.key}
                type="button"
                role="menuitem"
                tabIndex={-1}
                className={item.groupStart ? 'menu-item group-start' : 'menu-item'}
                onClick={() => {
                  close(true);
                  item.onSelect();
                }}
              >
                {item.label}
              </button>
            ))}
          </div>,
          document.body,
        )}
    </>
  );
}
