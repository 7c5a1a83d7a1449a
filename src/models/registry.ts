/**
 * Resolves the `vendor/model` ids that protocols name to AI SDK language and image models,
 * through the AI SDK's provider registry (docs/architecture.md "Models (LLM)").
 */
import { createOpenAI } from '@ai-sdk/openai';
import type { ImageModelV3, LanguageModelV3, ProviderV3 } from '@ai-sdk/provider';
import { createProviderRegistry, customProvider } from 'ai';
import { OfflineImageModel } from './offline-image-model.js';
import { OfflineLanguageModel } from './offline-model.js';

/** The model settings of the server's configuration (`Config` in src/config.ts). */
export interface ModelRegistryConfig {
  /** OPENAI_API_KEY. */
  openaiApiKey?: string | undefined;
  /** OPENAI_BASE_URL: an OpenAI-compatible server or gateway, e.g. `http://127.0.0.1:11434/v1`. */
  openaiBaseUrl?: string | undefined;
  /** MODEL_ALIASES: requested id → id that answers, e.g. `{"anthropic/claude-sonnet-4-5": "openai/gpt-4o"}`. */
  modelAliases?: Readonly<Record<string, string>> | undefined;
  /** DEFAULT_MODEL: the `vendor/model` id given to workers hired with neither a model nor a protocol. */
  defaultModel?: string | undefined;
}

/** A model id resolved to the model that will really answer. */
export interface ResolvedModel {
  /** Ready for `streamText({ model })` and the other AI SDK calls. */
  model: LanguageModelV3;
  /** Registry provider that answers: `openai` (any OpenAI-compatible server) or `offline`. */
  provider: string;
  /** Model id sent to that provider, e.g. `gpt-4o` or, through a gateway, `anthropic/claude-sonnet-4-5`. */
  modelId: string;
  /** True when the built-in offline model answers instead of an LLM. */
  offline: boolean;
}

/** An image model id resolved to the model that will really draw. */
export interface ResolvedImageModel extends Omit<ResolvedModel, 'model'> {
  /** Ready for `generateImage({ model })`. */
  model: ImageModelV3;
}

/** Created once at start-up by {@link createModelRegistry}; resolution is synchronous and cheap. */
export interface ModelRegistry {
  /**
   * Resolves a protocol's `vendor/model` id.
   * @throws ModelResolutionError when the id is not `vendor/model` or no provider serves its vendor.
   */
  resolve(id: string): ResolvedModel;
  /**
   * Resolves an image model id (generate-image `imageModel`) by the same rules as `resolve`:
   * offline without configuration, aliases, `openai/*` to the OpenAI Images API, other
   * vendors through a base URL.
   * @throws ModelResolutionError like `resolve`.
   */
  resolveImage(id: string): ResolvedImageModel;
  /** One line for the start-up log naming who answers (and the default model); never contains the API key. */
  describe(): string;
  /** True when no LLM is configured and every id resolves to the offline model. */
  readonly offline: boolean;
  /**
   * The model given to a worker, or a fleet's worker template, that names neither a model
   * nor a protocol (DEFAULT_MODEL), checked to resolve when the registry was made; null:
   * none, such workers are driven from outside.
   */
  readonly defaultModel: string | null;
}

/** A model id that cannot be resolved; the message names the id and what to configure. */
export class ModelResolutionError extends Error {
  constructor(
    /** The id as requested, e.g. `anthropic/claude-sonnet-4-5`. */
    readonly modelId: string,
    /** Why, and what to change. */
    readonly reason: string,
  ) {
    super(`Cannot resolve model "${modelId}": ${reason}`);
    this.name = 'ModelResolutionError';
  }
}

const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** Sent as the bearer token to a base URL configured without a key (Ollama, vLLM… ignore it). */
const PLACEHOLDER_API_KEY = 'no-key-configured';

const OFFLINE_DESCRIPTION = 'offline (deterministic built-in model; set OPENAI_API_KEY or OPENAI_BASE_URL)';

/**
 * Builds the registry from configuration (see {@link resolvingRegistry}) and checks that
 * its default model, if any, resolves.
 * @throws ModelResolutionError naming DEFAULT_MODEL when it does not
 */
export function createModelRegistry(config: ModelRegistryConfig): ModelRegistry {
  const registry = resolvingRegistry(config);
  const defaultModel = config.defaultModel ?? null;
  if (defaultModel === null) return { ...registry, defaultModel };
  try {
    registry.resolve(defaultModel);
  } catch (error) {
    if (!(error instanceof ModelResolutionError)) throw error;
    throw new ModelResolutionError(defaultModel, `DEFAULT_MODEL cannot be used: ${error.reason}`);
  }
  return { ...registry, defaultModel, describe: () => `${registry.describe()}; workers hired without a model or protocol get ${defaultModel}` };
}

/**
 * The registry's resolution rules, in order:
 * 1. an id must be `vendor/model` (both parts non-empty), online or offline;
 * 2. with neither key nor base URL, every id resolves to the built-in offline model;
 * 3. an id listed in `modelAliases` is replaced by its target (one hop, the target must be `vendor/model`);
 * 4. `openai/<model>` goes to @ai-sdk/openai's Chat Completions API (not the Responses API, so that
 *    any OpenAI-compatible server works) at the base URL, or api.openai.com without one;
 * 5. another vendor's id, when a base URL is set, goes whole to that server as the model id
 *    (`anthropic/claude-sonnet-4-5` to a LiteLLM or OpenRouter gateway);
 * 6. otherwise a {@link ModelResolutionError}.
 * Image model ids follow the same rules; offline they resolve to {@link OfflineImageModel}.
 * The API key and base URL come only from `config`, never from `process.env`.
 */
function resolvingRegistry(config: ModelRegistryConfig): Omit<ModelRegistry, 'defaultModel'> {
  const { openaiApiKey, openaiBaseUrl } = config;
  const aliases = config.modelAliases ?? {};

  if (!openaiApiKey && !openaiBaseUrl) {
    const registry = createProviderRegistry(
      {
        offline: customProvider({
          languageModels: { offline: new OfflineLanguageModel() },
          imageModels: { 'offline-image': new OfflineImageModel() },
        }),
      },
      { separator: '/' },
    );
    return {
      offline: true,
      describe: () => OFFLINE_DESCRIPTION,
      resolve(id) {
        parseModelId(id);
        return { model: registry.languageModel('offline/offline'), provider: 'offline', modelId: 'offline', offline: true };
      },
      resolveImage(id) {
        parseModelId(id);
        return { model: registry.imageModel('offline/offline-image'), provider: 'offline', modelId: 'offline-image', offline: true };
      },
    };
  }

  const registry = createProviderRegistry(
    { openai: openaiChatProvider(openaiApiKey || PLACEHOLDER_API_KEY, openaiBaseUrl || OPENAI_DEFAULT_BASE_URL) },
    { separator: '/' },
  );

  /** Rules 4–6 for a parsed id; `requested` is the id the protocol named, for error messages. */
  function route({ vendor, model }: ModelIdParts, requested: string): `openai/${string}` {
    if (vendor === 'openai') return `openai/${model}`;
    if (openaiBaseUrl) return `openai/${vendor}/${model}`;
    throw new ModelResolutionError(
      requested,
      `no provider serves vendor "${vendor}"; map the id in MODEL_ALIASES (e.g. {"${requested}":"openai/gpt-4o"}) ` +
        'or set OPENAI_BASE_URL to a gateway that serves it',
    );
  }

  /** Rules 1, 3 and 4–6: the registry id that answers `id`. */
  function registryIdOf(id: string): `openai/${string}` {
    const requested = parseModelId(id);
    const alias = Object.hasOwn(aliases, id) ? aliases[id] : undefined;
    const target = alias === undefined ? requested : parseModelId(alias, id);
    return route(target, id);
  }

  return {
    offline: false,
    describe: () => describeOpenAI(openaiBaseUrl, Object.keys(aliases).length),
    resolve(id) {
      const registryId = registryIdOf(id);
      return { model: registry.languageModel(registryId), provider: 'openai', modelId: registryId.slice('openai/'.length), offline: false };
    },
    resolveImage(id) {
      const registryId = registryIdOf(id);
      return { model: registry.imageModel(registryId), provider: 'openai', modelId: registryId.slice('openai/'.length), offline: false };
    },
  };
}

interface ModelIdParts {
  vendor: string;
  model: string;
}

/**
 * Splits `vendor/model` at the first `/` (the model part may hold more, as in
 * `openai/meta-llama/Llama-3.1-8B`). `aliasOf` names the requested id when `id` is an alias target.
 */
function parseModelId(id: string, aliasOf?: string): ModelIdParts {
  const slash = id.indexOf('/');
  const vendor = id.slice(0, slash).trim();
  const model = id.slice(slash + 1).trim();
  if (slash === -1 || !vendor || !model) {
    const example = 'vendor/model, e.g. openai/gpt-4o or anthropic/claude-sonnet-4-5';
    throw aliasOf === undefined
      ? new ModelResolutionError(id, `model ids are written ${example}`)
      : new ModelResolutionError(aliasOf, `its MODEL_ALIASES target "${id}" is not ${example}`);
  }
  return { vendor, model };
}

/**
 * @ai-sdk/openai with `languageModel` bound to the Chat Completions API: its default (the
 * Responses API) is OpenAI's alone, while Ollama, vLLM, llama.cpp, LiteLLM and OpenRouter all
 * speak Chat Completions. Key and base URL are always explicit so that the provider does not
 * read OPENAI_API_KEY / OPENAI_BASE_URL from the environment behind the configuration's back.
 */
function openaiChatProvider(apiKey: string, baseURL: string): ProviderV3 {
  const openai = createOpenAI({ apiKey, baseURL });
  return {
    specificationVersion: 'v3',
    languageModel: (modelId) => openai.chat(modelId),
    embeddingModel: (modelId) => openai.embeddingModel(modelId),
    imageModel: (modelId) => openai.imageModel(modelId),
  };
}

function describeOpenAI(baseUrl: string | undefined, aliasCount: number): string {
  const where = baseUrl
    ? `base URL ${withoutCredentials(baseUrl)}; other vendors pass through as model ids`
    : `${OPENAI_DEFAULT_BASE_URL}; other vendors need MODEL_ALIASES`;
  const aliases = aliasCount === 1 ? '1 model alias' : `${aliasCount} model aliases`;
  return `openai (${where}; Chat Completions API; ${aliases})`;
}

/** The base URL without any `user:password@` it may carry. */
function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.href;
  } catch {
    return url;
  }
}
