import { ReasonFlowError } from '@reasonflow/core';

/**
 * The platform's backend package is not installed. The facade leaves the backends to the user (they
 * are optional peer dependencies) so that an app only installs the runtime it runs on.
 */
export class MissingBackendError extends ReasonFlowError {
  override readonly name = 'MissingBackendError';
  constructor(
    /** The package to install, e.g. `@reasonflow/backend-cuda`. */
    readonly packageName: string,
    /** Where it is needed, e.g. `Node`. */
    readonly platform: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Loading a model in ${platform} needs ${packageName}, which is not installed: run ` +
        `\`npm install ${packageName}\` (or pnpm add / yarn add), or pass your own \`loader\` to fromPretrained.`,
      options,
    );
  }
}

/**
 * Imports an optional backend package, turning "this very package cannot be found" into a
 * MissingBackendError; any other failure (a dependency of the backend missing, say) stays as it is.
 */
export async function importBackend<Module>(
  packageName: string,
  platform: string,
  importer: () => Promise<Module>,
): Promise<Module> {
  try {
    return await importer();
  } catch (error) {
    if (isPackageNotFound(error, packageName)) throw new MissingBackendError(packageName, platform, { cause: error });
    throw error;
  }
}

function isPackageNotFound(error: unknown, packageName: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  const notFound = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (package|module)/.test(error.message);
  return notFound && (error.message.includes(`'${packageName}'`) || error.message.includes(`"${packageName}"`));
}
