/// <summary>For the BC administrator who fills in Scend Integration Setup (journal template, batch, reason code).</summary>
permissionset 50141 "Scend Integr. Setup"
{
    Assignable = true;
    Caption = 'Scend 3PL integration setup';

    Permissions =
        tabledata "Scend Integration Setup" = RIMD,
        table "Scend Integration Setup" = X,
        page "Scend Integration Setup" = X;
}
