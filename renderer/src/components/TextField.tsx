import type { ReactNode } from 'react';
import type { FieldIssue } from '../../../electron/shared/errors';
import { useIssueText } from '../error-text';

interface TextFieldProps {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  help?: ReactNode;
  issue?: FieldIssue | string | undefined;
  /** Field-specific wording for a schema issue (e.g. what a valid host looks like). */
  issueHint?: string;
  placeholder?: string;
  inputMode?: 'text' | 'numeric' | 'url';
  /** 'password' masks what is typed (tokens, API secrets). */
  type?: 'text' | 'password';
  mono?: boolean;
  wide?: boolean;
  disabled?: boolean;
  maxLength?: number;
  list?: string;
}

/** A labelled text input with its help line, replaced by the problem when there is one. */
export function TextField(props: TextFieldProps) {
  const issueText = useIssueText();
  const errorId = `${props.id}-error`;
  const message = props.issue === undefined ? null : typeof props.issue === 'string' ? props.issue : (props.issueHint ?? issueText(props.issue));
  return (
    <label className={`field field-text${props.wide ? ' field-wide' : ''}`} htmlFor={props.id}>
      <span className="field-label">{props.label}</span>
      <input
        id={props.id}
        data-testid={`${props.id}-input`}
        type={props.type ?? 'text'}
        className={props.mono ? 'mono' : undefined}
        inputMode={props.inputMode}
        autoComplete="off"
        spellCheck={false}
        value={props.value}
        placeholder={props.placeholder}
        maxLength={props.maxLength ?? 1000}
        disabled={props.disabled}
        list={props.list}
        aria-invalid={message ? true : undefined}
        aria-describedby={message ? errorId : undefined}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {message ? (
        <span className="field-error" id={errorId} role="alert" data-testid={`${props.id}-error`}>
          {message}
        </span>
      ) : (
        props.help && <span className="field-help">{props.help}</span>
      )}
    </label>
  );
}
