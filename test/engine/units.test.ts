/** Smaller pieces of the engine: thinking → provider options, thread serialization, package folders. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelMessage } from 'ai';
import { describe, expect, it } from 'vitest';
import type { ResolvedModel, ThreadSettings } from '../../src/engine/execution-types.js';
import { modelCallOptions } from '../../src/engine/model-options.js';
import { readProtocolPackage } from '../../src/engine/package-files.js';
import { serializeThread } from '../../src/engine/serialize-thread.js';
import { scriptedModel } from './fixtures.js';

describe('modelCallOptions', () => {
  const model = (provider: string, modelId: string): ResolvedModel => ({ model: scriptedModel([]), provider, modelId, offline: false });
  const settings = (extra: Partial<ThreadSettings>): ThreadSettings => ({ maxSteps: 1, tools: [], ...extra });

  it('passes temperature and maxOutputTokens through', () => {
    expect(modelCallOptions(settings({ temperature: 0.2, maxOutputTokens: 50 }), model('offline', 'offline'))).toEqual({ temperature: 0.2, maxOutputTokens: 50 });
  });

  it('maps thinking to OpenAI reasoningEffort on reasoning models only', () => {
    expect(modelCallOptions(settings({ thinking: 'medium' }), model('openai.chat', 'o4-mini'))).toEqual({ providerOptions: { openai: { reasoningEffort: 'medium' } } });
    expect(modelCallOptions(settings({ thinking: 'max' }), model('openai', 'gpt-5'))).toEqual({ providerOptions: { openai: { reasoningEffort: 'high' } } });
    expect(modelCallOptions(settings({ thinking: 'high' }), model('openai', 'gpt-4o'))).toEqual({});
    expect(modelCallOptions(settings({ thinking: 'off' }), model('openai', 'o3'))).toEqual({});
  });

  it('maps thinking to an Anthropic budget, merged with the start-thread anthropic options', () => {
    expect(modelCallOptions(settings({ thinking: 'low', anthropic: { effort: 'high' } }), model('anthropic.messages', 'claude-sonnet-4-5'))).toEqual({
      providerOptions: { anthropic: { effort: 'high', thinking: { type: 'enabled', budgetTokens: 1024 } } },
    });
    expect(modelCallOptions(settings({ thinking: 'off' }), model('anthropic', 'claude-sonnet-4-5'))).toEqual({
      providerOptions: { anthropic: { thinking: { type: 'disabled' } } },
    });
  });
});

describe('serializeThread', () => {
  const messages: ModelMessage[] = [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: [{ type: 'text', text: 'Look up order 7' }, { type: 'file', data: 'https://x.test/a.pdf', mediaType: 'application/pdf', filename: 'a.pdf' }] },
    {
      role: 'assistant',
      content: [
        { type: 'reasoning', text: 'hidden thoughts' },
        { type: 'tool-call', toolCallId: 'c1', toolName: 'lookup-order', input: { orderId: '7' } },
      ],
    },
    { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c1', toolName: 'lookup-order', output: { type: 'json', value: { status: 'shipped' } } }] },
    { role: 'assistant', content: [{ type: 'reasoning', text: 'only reasoning' }] },
    { role: 'assistant', content: 'It shipped.' },
  ];

  it('renders markdown with one ## heading per message, skipping empty ones', () => {
    expect(serializeThread(messages, 'markdown')).toBe(
      [
        '## system\n\nBe brief.',
        '## user\n\nLook up order 7\n\n[file: a.pdf]',
        '## assistant\n\nCalled `lookup-order` with:\n\n```json\n{\n  "orderId": "7"\n}\n```',
        '## tool\n\nResult of `lookup-order`:\n\n```json\n{\n  "status": "shipped"\n}\n```',
        '## assistant\n\nIt shipped.',
      ].join('\n\n'),
    );
  });

  it('renders json as an array of {role, content}', () => {
    const parsed = JSON.parse(serializeThread(messages.slice(0, 2), 'json')) as unknown;
    expect(parsed).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Look up order 7\n\n[file: a.pdf]' },
    ]);
  });
});

describe('readProtocolPackage', () => {
  it('reads protocol.yaml, settings.json, nested prompts and references', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'protocol-package-'));
    try {
      await mkdir(join(dir, 'prompts', 'shared'), { recursive: true });
      await mkdir(join(dir, 'references'));
      await writeFile(join(dir, 'protocol.yaml'), 'steps: {}\n');
      await writeFile(join(dir, 'settings.json'), '{"slug": "s", "name": "S", "format": "worker"}');
      await writeFile(join(dir, 'prompts', 'system.md'), 'System');
      await writeFile(join(dir, 'prompts', 'shared', 'rules.md'), 'Rules');
      await writeFile(join(dir, 'prompts', 'notes.txt'), 'ignored');
      await writeFile(join(dir, 'references', 'faq.md'), '---\ndescription: Frequent questions\n---\nQ and A');
      expect(await readProtocolPackage(dir)).toEqual({
        source: 'steps: {}\n',
        settings: { slug: 's', name: 'S', format: 'worker' },
        prompts: [
          { name: 'shared/rules', content: 'Rules' },
          { name: 'system', content: 'System' },
        ],
        references: [{ name: 'faq', description: 'Frequent questions', content: 'Q and A' }],
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
