import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { menuTemplate } from './menu.js';

function flatten(items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return items.flatMap((item) => [item, ...(Array.isArray(item.submenu) ? flatten(item.submenu) : [])]);
}

const make = (platform: string, development: boolean) => {
  const command = vi.fn();
  const about = vi.fn();
  return { template: menuTemplate({ platform, development, command, about }), command, about };
};

describe('menuTemplate', () => {
  it('has File, Edit, View and Help', () => {
    const { template } = make('linux', false);
    expect(template.map((m) => m.label ?? m.role)).toEqual(['File', 'editMenu', 'View', 'help']);
  });

  it("File's items send their commands to the page; Quit quits", () => {
    const { template, command } = make('linux', false);
    const file = template[0].submenu as MenuItemConstructorOptions[];
    expect(file.map((i) => i.label ?? i.type)).toEqual([
      'Open Project…',
      'Import Sounds…',
      'Choose Export Folder…',
      'separator',
      'Quit',
    ]);
    for (const item of file.slice(0, 3)) item.click?.(undefined as never, undefined, undefined as never);
    expect(command.mock.calls).toEqual([['open-project'], ['import-sounds'], ['choose-export-folder']]);
    expect(file[4].role).toBe('quit');
  });

  it('Help > About calls about()', () => {
    const { template, about } = make('win32', false);
    const help = template.at(-1)!.submenu as MenuItemConstructorOptions[];
    help[0].click?.(undefined as never, undefined, undefined as never);
    expect(about).toHaveBeenCalledOnce();
  });

  it('has the developer tools and reload in development only', () => {
    const roles = (development: boolean) => flatten(make('linux', development).template).map((i) => i.role);
    expect(roles(false)).not.toContain('toggleDevTools');
    expect(roles(false)).not.toContain('reload');
    expect(roles(true)).toContain('toggleDevTools');
    expect(roles(true)).toContain('reload');
  });

  it('follows macOS conventions there: the app menu holds Quit', () => {
    const { template } = make('darwin', false);
    expect(template[0].role).toBe('appMenu');
    expect(flatten(template).map((i) => i.role)).not.toContain('quit');
    expect(template.map((m) => m.role)).toContain('windowMenu');
  });
});
