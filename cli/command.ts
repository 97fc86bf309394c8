/**
 * The CLI's commander Command: required arguments and options are marked "(required)" in help, and a command
 * missing several of them reports them all at once (`error: missing required arguments 'bridgeId', 'number'`)
 * instead of one per try.
 */
import { Command, Help, type Argument, type Option } from 'commander';

class MmsHelp extends Help {
  override argumentDescription(argument: Argument): string {
    const text = super.argumentDescription(argument);
    return argument.required ? `${text} (required)` : text;
  }
  override optionDescription(option: Option): string {
    const text = super.optionDescription(option);
    return option.mandatory ? `${text} (required)` : text;
  }
}

export class MmsCommand extends Command {
  override createCommand(name?: string): MmsCommand {
    return new MmsCommand(name);
  }

  override createHelp(): Help {
    return Object.assign(new MmsHelp(), this.configureHelp());
  }

  /** Commander (its private hook) stops at the first missing argument; name every missing one. */
  missingArgument(name: string): never {
    const missing = this.registeredArguments
      .filter((arg, i) => arg.required && this.args[i] == null)
      .map((arg) => `'${arg.name()}'`);
    const list = missing.length > 0 ? missing : [`'${name}'`];
    const message =
      list.length === 1
        ? `error: missing required argument ${list[0]}`
        : `error: missing required arguments ${list.join(', ')}`;
    this.error(message, { code: 'commander.missingArgument' });
  }

  /** Commander stops at the first missing mandatory option; name every missing one. */
  missingMandatoryOptionValue(option: Option): never {
    const missing = this.options
      .filter((o) => o.mandatory && this.getOptionValue(o.attributeName()) === undefined)
      .map((o) => `'${o.flags}'`);
    const list = missing.length > 0 ? missing : [`'${option.flags}'`];
    const message =
      list.length === 1
        ? `error: required option ${list[0]} not specified`
        : `error: required options ${list.join(', ')} not specified`;
    this.error(message, { code: 'commander.missingMandatoryOptionValue' });
  }
}
