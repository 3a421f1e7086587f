import { useEffect, useRef, useState, type DragEvent } from 'react';

const carriesFiles = (event: { dataTransfer: DataTransfer | null }) =>
  event.dataTransfer?.types.includes('Files') ?? false;

/**
 * Makes an element a place to drop files: `over` while files are dragged above it (enter and
 * leave fire for every child, hence the depth count), `onFiles` with what is dropped. While it is
 * shown, files dropped beside it are refused rather than opened by the browser in place of the page
 * (which would lose any draft). Off when `enabled` is false.
 */
export function useFileDrop<T extends HTMLElement>(enabled: boolean, onFiles: (files: File[]) => void) {
  const [over, setOver] = useState(false);
  const depth = useRef(0);
  const ref = useRef<T>(null);

  useEffect(() => {
    if (!enabled) return;
    const guard = (event: globalThis.DragEvent) => {
      if (!carriesFiles(event) || ref.current?.contains(event.target as Node)) return;
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'none';
    };
    window.addEventListener('dragover', guard);
    window.addEventListener('drop', guard);
    return () => {
      window.removeEventListener('dragover', guard);
      window.removeEventListener('drop', guard);
    };
  }, [enabled]);

  const handlers = enabled
    ? {
        onDragEnter: (event: DragEvent) => {
          if (!carriesFiles(event)) return;
          depth.current++;
          setOver(true);
        },
        onDragLeave: (event: DragEvent) => {
          if (!carriesFiles(event)) return;
          depth.current = Math.max(0, depth.current - 1);
          if (depth.current === 0) setOver(false);
        },
        onDragOver: (event: DragEvent) => {
          if (!carriesFiles(event)) return;
          event.preventDefault();
          event.dataTransfer.dropEffect = 'copy';
        },
        onDrop: (event: DragEvent) => {
          if (!carriesFiles(event)) return;
          event.preventDefault();
          depth.current = 0;
          setOver(false);
          onFiles([...event.dataTransfer.files]);
        },
      }
    : {};
  return { over, ref, handlers };
}
