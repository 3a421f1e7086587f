import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../../api';
import { useSession } from '../../session';
import { Avatar } from '../bits';
import type { ProjectRole, WorkspaceMember } from '../types';
import { AddForm, RemoveButton, SettingsSection, useSettingsRequests, type SettingsProps } from './SettingsSection';

const roleWords: Record<ProjectRole, string> = { lead: 'Lead', member: 'Member', viewer: 'Viewer' };
const roles: ProjectRole[] = ['lead', 'member', 'viewer'];

/** Who is in the project and as what: workspace members added with a role, roles changed, people removed. */
export function MembersSettings({ project, readOnly, reload }: SettingsProps) {
  const me = useSession().me?.user.id;
  const { error, busy, send, remove } = useSettingsRequests(reload);
  const [workspace, setWorkspace] = useState<WorkspaceMember[]>([]);
  useEffect(() => {
    if (!readOnly) void api<WorkspaceMember[]>('GET', '/members').then(setWorkspace, () => undefined);
  }, [readOnly]);
  const base = `/projects/${project.key}/members`;
  const setRole = (userId: string, role: ProjectRole) => send('PUT', `${base}/${userId}`, { role });
  const candidates = workspace.filter((person) => !project.members.some((member) => member.userId === person.id));
  const add = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const userId = String(data.get('person') ?? '');
    if (userId) void setRole(userId, data.get('role') as ProjectRole).then(() => form.reset());
  };
  return (
    <SettingsSection
      id="members"
      title="Members"
      intro="Leads change settings; members change tasks; viewers read. Workspace owners and admins lead every project."
      error={error}
    >
      <ul className="settings-list members">
        {project.members.map((member) => (
          <li key={member.userId} className="member-row">
            <Avatar person={member} />
            <span className="member-text">
              <span>
                {member.name}
                {member.userId === me && <span className="muted"> (you)</span>}
              </span>
              <span className="muted small">{member.email}</span>
            </span>
            {readOnly ? (
              <span className="badge quiet">{roleWords[member.role]}</span>
            ) : (
              <span className="row tight">
                <select
                  aria-label={`Role of ${member.name}`}
                  value={member.role}
                  onChange={(event) => void setRole(member.userId, event.target.value as ProjectRole)}
                >
                  {roles.map((role) => (
                    <option key={role} value={role}>
                      {roleWords[role]}
                    </option>
                  ))}
                </select>
                <RemoveButton
                  name={member.name}
                  onClick={() => remove(`${base}/${member.userId}`, `Remove ${member.name} from ${project.name}?`)}
                />
              </span>
            )}
          </li>
        ))}
      </ul>
      {!readOnly && (
        <AddForm label="Add a member" button="Add member" disabled={busy || candidates.length === 0} onSubmit={add}>
          <div className="field">
            <label htmlFor="new-member">Add a workspace member</label>
            <select id="new-member" name="person" defaultValue="" disabled={candidates.length === 0}>
              <option value="">{candidates.length === 0 ? 'Everyone is in the project' : 'Choose someone…'}</option>
              {candidates.map((person) => (
                <option key={person.id} value={person.id}>
                  {person.name} ({person.email})
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="new-member-role">Role</label>
            <select id="new-member-role" name="role" defaultValue="member">
              {roles.map((role) => (
                <option key={role} value={role}>
                  {roleWords[role]}
                </option>
              ))}
            </select>
          </div>
        </AddForm>
      )}
    </SettingsSection>
  );
}
