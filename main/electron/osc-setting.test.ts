import { describe, expect, it } from 'vitest';
import { oscArgs, oscSetting } from './osc-setting.js';

const none = { osc: '', oscHost: '' };

describe('the OSC setting', () => {
  it('is off without a switch or a settings entry', () => {
    expect(oscSetting(none, null)).toEqual({ setting: null, problem: null });
    expect(oscSetting(none, '{}')).toEqual({ setting: null, problem: null });
    expect(oscSetting(none, '{"osc": null}')).toEqual({ setting: null, problem: null });
    expect(oscArgs(null)).toEqual([]);
  });

  it('comes from settings.json, on 127.0.0.1 unless it names a host', () => {
    const { setting } = oscSetting(none, '{"osc": {"port": 9000}}');
    expect(setting).toEqual({ port: 9000, host: '127.0.0.1' });
    expect(oscArgs(setting)).toEqual(['--osc', '9000', '--osc-host', '127.0.0.1']);
    expect(oscSetting(none, '{"osc": {"port": 57120, "host": "0.0.0.0"}}').setting).toEqual({
      port: 57120,
      host: '0.0.0.0',
    });
  });

  it('takes the command line over the file', () => {
    expect(oscSetting({ osc: '7000', oscHost: '' }, '{"osc": {"port": 9000}}').setting).toEqual({
      port: 7000,
      host: '127.0.0.1',
    });
  });

  it('refuses what is malformed, saying why', () => {
    expect(oscSetting({ osc: 'x', oscHost: '' }, null).problem).toMatch(/--osc=x: not a port/);
    expect(oscSetting({ osc: '70000', oscHost: '' }, null).problem).toMatch(/not a port/);
    expect(oscSetting({ osc: '9000', oscHost: 'a b' }, null).problem).toMatch(/--osc-host/);
    expect(oscSetting(none, '{oops').problem).toMatch(/settings.json: not JSON/);
    expect(oscSetting(none, '{"osc": {"port": "9000x"}}').problem).toMatch(/osc.port/);
    expect(oscSetting(none, '{"osc": {"port": 9000, "host": 5}}').problem).toMatch(/osc.host/);
    expect(oscSetting(none, '{"osc": {"port": 9000, "host": 5}}').setting).toBeNull();
  });
});
