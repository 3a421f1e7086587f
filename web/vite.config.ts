import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The browser app: built into web/dist (never committed) and served by Steadfast at every workspace's host.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline scripts or styles: the Content-Security-Policy allows only files from the origin.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
