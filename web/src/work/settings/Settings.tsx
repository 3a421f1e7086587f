import { Shell } from '../../ui/Shell';
import { ProjectHeader } from '../ProjectHeader';
import { useProject } from '../ProjectLayout';
import { FieldsSettings } from './FieldsSettings';
import { GeneralSettings } from './GeneralSettings';
import { LabelsSettings } from './LabelsSettings';
import { MembersSettings } from './MembersSettings';
import { RulesSettings } from './RulesSettings';
import { StatesSettings } from './StatesSettings';

/** A project's settings: leads change them; everyone else reads them. */
export function Settings() {
  const { project, isLead, reload } = useProject();
  const props = { project, readOnly: !isLead, reload };
  return (
    <Shell layout="wide">
      <ProjectHeader />
      {!isLead && (
        <p className="alert info" role="note">
          Only the project's leads change its settings. You can read them here.
        </p>
      )}
      <div className="settings">
        <GeneralSettings {...props} />
        <StatesSettings {...props} />
        <RulesSettings {...props} />
        <LabelsSettings {...props} />
        <FieldsSettings {...props} />
        <MembersSettings {...props} />
      </div>
    </Shell>
  );
}
