// The application menu as data, so a test can check what is in it (devtools only in development)
// without Electron. main.ts turns it into a Menu.
import type { MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from './preload-api.js';

export interface MenuOptions {
  platform: string;
  /** Adds reload and the developer tools to View. */
  development: boolean;
  /** Sends a command to the page, which carries it out (it owns the project). */
  command(command: MenuCommand): void;
  /** Help > About. */
  about(): void;
}

export function menuTemplate(options: MenuOptions): MenuItemConstructorOptions[] {
  const mac = options.platform === 'darwin';
  const file: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [
      { label: 'Open Project…', accelerator: 'CmdOrCtrl+O', click: () => options.command('open-project') },
      { label: 'Import Sounds…', accelerator: 'CmdOrCtrl+I', click: () => options.command('import-sounds') },
      {
        label: 'Choose Export Folder…',
        accelerator: 'CmdOrCtrl+Shift+E',
        click: () => options.command('choose-export-folder'),
      },
      // On macOS Quit lives in the app menu (and Close Window here, by convention).
      { type: 'separator' },
      mac ? { role: 'close' } : { role: 'quit', label: 'Quit' },
    ],
  };
  const view: MenuItemConstructorOptions = {
    label: 'View',
    submenu: [
      ...(options.development
        ? ([
            { role: 'reload' },
            { role: 'forceReload' },
            { role: 'toggleDevTools' },
            { type: 'separator' },
          ] satisfies MenuItemConstructorOptions[])
        : []),
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  };
  const help: MenuItemConstructorOptions = {
    role: 'help',
    submenu: [{ label: 'About VAE Studio', click: () => options.about() }],
  };
  return [
    ...(mac ? [{ role: 'appMenu' } satisfies MenuItemConstructorOptions] : []),
    file,
    { role: 'editMenu' },
    view,
    ...(mac ? [{ role: 'windowMenu' } satisfies MenuItemConstructorOptions] : []),
    help,
  ];
}
