import type { ModelInfo, ModelTraining, StudioClient } from './types.js';

/**
 * Finished models' training records (settings, sources, every epoch's figures), read from their
 * studio.json through the API when first shown and kept while the model is unchanged.
 */
export class ModelRecords {
  records = $state.raw<Record<string, ModelTraining>>({});
  errors = $state.raw<Record<string, string>>({});
  /** The epochs each record was read at: a model trained further is read again. */
  #epochs = new Map<string, number>();

  async load(client: StudioClient, model: ModelInfo): Promise<ModelTraining | null> {
    const known = this.records[model.id];
    if (known && this.#epochs.get(model.id) === model.epochs) return known;
    try {
      const record = await client.getModelTraining(model.id);
      this.#epochs.set(model.id, model.epochs);
      this.records = { ...this.records, [model.id]: record };
      return record;
    } catch (err) {
      this.errors = { ...this.errors, [model.id]: (err as Error).message };
      return null;
    }
  }

  /** The models trained on a source (by its id, as studio.json names its sources). */
  async trainedOn(client: StudioClient, models: ModelInfo[], source: string): Promise<string[]> {
    const records = await Promise.all(models.map((m) => this.load(client, m)));
    return models.filter((_, i) => records[i]?.sources.some((s) => s.name === source)).map((m) => m.id);
  }

  clear(): void {
    this.records = {};
    this.errors = {};
    this.#epochs.clear();
  }
}
