import { ArgumentMetadata, Injectable, PipeTransform, ValidationPipe } from '@nestjs/common';
import { validationErrorToTtsError } from '../../common/errors/validation-error';
import { TtsError } from '../../common/tts-error';
import { FishCreateTaskDto } from './fish-create-task.dto';

/**
 * Validates the create body with the face's own semantics: unknown fields are dropped rather than
 * refused (the document lets task fields evolve), and a body that is not an object says so.
 * The controller types the parameter loosely so the global, stricter pipe leaves it alone.
 */
@Injectable()
export class FishCreateTaskPipe implements PipeTransform<unknown, Promise<FishCreateTaskDto>> {
  private readonly validation = new ValidationPipe({
    expectedType: FishCreateTaskDto,
    whitelist: true,
    forbidNonWhitelisted: false,
    transform: true,
    exceptionFactory: validationErrorToTtsError,
  });

  async transform(value: unknown, metadata: ArgumentMetadata): Promise<FishCreateTaskDto> {
    if (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new TtsError('malformed_request', 'The request body must be a JSON object with text and voiceId.');
    }
    return (await this.validation.transform(value, { ...metadata, metatype: FishCreateTaskDto })) as FishCreateTaskDto;
  }
}
